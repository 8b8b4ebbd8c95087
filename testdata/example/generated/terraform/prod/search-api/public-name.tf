resource "aws_route53_record" "public-name" {
  zone_id = data.aws_route53_zone.this.zone_id
  name    = "search.acme.example"
  type    = "CNAME"
  ttl     = 300
  records = ["ingress.acme.example"]
}
