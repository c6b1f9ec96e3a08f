-- Every personal API token has an end, chosen when it is made (one year by default);
-- tokens made before have one year from their creation.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
UPDATE api_tokens SET expires_at = created_at + 31536000000 WHERE expires_at IS NULL;
