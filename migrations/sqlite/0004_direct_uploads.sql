-- Uploads whose parts a browser sends straight to the bucket (direct-to-bucket mode),
-- found by their multipart upload id.
ALTER TABLE uploads ADD COLUMN direct BIGINT NOT NULL DEFAULT 0;
CREATE INDEX uploads_multipart ON uploads(multipart_id);
