resource "kafka_topic" "stock-events" {
  name               = "staging.inventory-api.stock-events"
  partitions         = 3
  replication_factor = 3
  config = {
    "cleanup.policy"      = "compact"
    "retention.ms"        = "604800000"
    "min.insync.replicas" = "2"
  }
}
