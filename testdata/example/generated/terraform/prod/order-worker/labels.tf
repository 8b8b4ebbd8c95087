resource "aws_s3_bucket" "labels" {
  bucket = "100000000004-prod-order-worker-labels"
  #checkov:skip=CKV_AWS_18:access logging is the platform's choice (CloudTrail data events or a log bucket), not each bucket's
  #checkov:skip=CKV_AWS_144:cross-region replication is a disaster-recovery decision made per bucket, not a default
  #checkov:skip=CKV2_AWS_62:event notifications are wired by the services that need them
}

resource "aws_s3_bucket_public_access_block" "labels" {
  bucket                  = aws_s3_bucket.labels.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "labels" {
  bucket = aws_s3_bucket.labels.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "labels" {
  bucket = aws_s3_bucket.labels.id
  rule {
    bucket_key_enabled = true
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
  }
}

resource "aws_s3_bucket_versioning" "labels" {
  bucket = aws_s3_bucket.labels.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "labels" {
  bucket = aws_s3_bucket.labels.id
  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
  }
  rule {
    id     = "expire-objects"
    status = "Enabled"
    filter {
    }
    expiration {
      days = 90
    }
  }
}

resource "aws_s3_bucket_policy" "labels" {
  bucket = aws_s3_bucket.labels.id
  policy = jsonencode({
    Statement = [
      {
        Action = "s3:*"
        Condition = {
          Bool = {
            "aws:SecureTransport" = "false"
          }
        }
        Effect    = "Deny"
        Principal = "*"
        Resource  = ["arn:aws:s3:::100000000004-prod-order-worker-labels", "arn:aws:s3:::100000000004-prod-order-worker-labels/*"]
        Sid       = "DenyInsecureTransport"
      },
    ]
    Version = "2012-10-17"
  })
}
