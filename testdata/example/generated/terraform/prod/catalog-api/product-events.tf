resource "kafka_topic" "product-events" {
  name               = "prod.catalog-api.product-events"
  partitions         = 12
  replication_factor = 3
  config = {
    "cleanup.policy"      = "delete"
    "retention.ms"        = "604800000"
    "min.insync.replicas" = "2"
  }
}
