resource "aws_sqs_queue" "notifications_dlq" {
  name                              = "prod-customer-notifications-dlq"
  message_retention_seconds         = 1209600
  fifo_queue                        = false
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue" "notifications" {
  name                       = "prod-customer-notifications"
  visibility_timeout_seconds = 30
  message_retention_seconds  = 86400
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.notifications_dlq.arn
    maxReceiveCount     = 5
  })
  fifo_queue                        = false
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
}
