resource "aws_sqs_queue" "outbox_dlq" {
  name                              = "prod-email-outbox-dlq"
  message_retention_seconds         = 1209600
  fifo_queue                        = false
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_sqs_queue" "outbox" {
  name                       = "prod-email-outbox"
  visibility_timeout_seconds = 120
  message_retention_seconds  = 345600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.outbox_dlq.arn
    maxReceiveCount     = 10
  })
  fifo_queue                        = false
  kms_master_key_id                 = aws_kms_key.this.arn
  kms_data_key_reuse_period_seconds = 300
}
