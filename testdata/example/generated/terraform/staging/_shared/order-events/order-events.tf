resource "aws_sqs_queue" "order-queue_dlq" {
  name                              = "staging-order-events-dlq.fifo"
  message_retention_seconds         = 1209600
  fifo_queue                        = true
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  content_based_deduplication       = true
}

resource "aws_sqs_queue" "order-queue" {
  name                       = "staging-order-events.fifo"
  visibility_timeout_seconds = 60
  message_retention_seconds  = 345600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.order-queue_dlq.arn
    maxReceiveCount     = 5
  })
  fifo_queue                        = true
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
  content_based_deduplication       = true
}
