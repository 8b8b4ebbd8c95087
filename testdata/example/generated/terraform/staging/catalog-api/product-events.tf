resource "kafka_topic" "product-events" {
  name               = "staging.catalog-api.product-events"
  partitions         = 6
  replication_factor = 3
  config = {
    "cleanup.policy"      = "delete"
    "retention.ms"        = "604800000"
    "min.insync.replicas" = "2"
  }
}
