//! Bucket administration that object_store cannot do: create the bucket, apply the CORS
//! rules browsers need to upload parts straight to it, and a lifecycle rule that aborts
//! multipart uploads nobody finished. Used by `relais storage setup` and `relais check`.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, CorsConfiguration, CorsRule, ExpirationStatus,
    LifecycleRule, LifecycleRuleFilter,
};

use crate::config::S3Config;
use crate::sdk::{client, describe};

/// Rule id, so that `check` recognises our rule among others the operator may have.
const LIFECYCLE_RULE_ID: &str = "relais-abort-incomplete-multipart";
/// Uploads idle this long are reaped by Relais itself after a day; the bucket rule is the
/// safety net for uploads Relais lost track of.
const ABORT_AFTER_DAYS: i32 = 7;

/// What one setup or check step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome {
    Done(String),
    /// Not fatal: the service lacks the feature (several self-hosted S3 servers have no
    /// CORS or lifecycle support).
    Warning(String),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Step {
    pub name: &'static str,
    pub outcome: StepOutcome,
}

fn unsupported(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("NotImplemented" | "MethodNotAllowed" | "NotSupported" | "XNotImplemented")
    )
}

/// Creates the bucket if needed and applies CORS and lifecycle rules. `origins` are the
/// web origins allowed to upload from a browser (normally just `public_url`).
pub async fn apply(cfg: &S3Config, origins: &[String]) -> Vec<Step> {
    let s3 = client(cfg);
    let mut steps = Vec::new();

    // HeadBucket first: CreateBucket on a bucket one already owns answers 200 on AWS's
    // us-east-1 and on several compatible servers, which would read as "created".
    let bucket = if s3.head_bucket().bucket(&cfg.bucket).send().await.is_ok() {
        StepOutcome::Done(format!("bucket {} already exists", cfg.bucket))
    } else {
        match s3.create_bucket().bucket(&cfg.bucket).send().await {
            Ok(_) => StepOutcome::Done(format!("bucket {} created", cfg.bucket)),
            Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou")) => {
                StepOutcome::Done(format!("bucket {} already exists", cfg.bucket))
            }
            Err(e) => StepOutcome::Failed(format!("cannot create bucket {}: {}", cfg.bucket, describe(&e))),
        }
    };
    let bucket_failed = matches!(bucket, StepOutcome::Failed(_));
    steps.push(Step {
        name: "bucket",
        outcome: bucket,
    });
    if bucket_failed {
        return steps;
    }

    let rule = CorsRule::builder()
        .set_allowed_origins(Some(origins.to_vec()))
        .allowed_methods("GET")
        .allowed_methods("HEAD")
        .allowed_methods("PUT")
        .allowed_methods("POST")
        .allowed_headers("*")
        // Browsers can only read a part's ETag, needed to complete the upload, if exposed.
        .expose_headers("ETag")
        .max_age_seconds(3600)
        .build();
    let cors = match rule.and_then(|r| CorsConfiguration::builder().cors_rules(r).build()) {
        Err(e) => StepOutcome::Failed(format!("invalid CORS rule: {e}")),
        Ok(conf) => match s3
            .put_bucket_cors()
            .bucket(&cfg.bucket)
            .cors_configuration(conf)
            .send()
            .await
        {
            Ok(_) => StepOutcome::Done(format!("CORS allows {} and exposes ETag", origins.join(", "))),
            Err(e) if unsupported(e.code()) => StepOutcome::Warning(format!(
                "this S3 server does not support CORS ({}); direct-to-bucket browser uploads will not work",
                describe(&e)
            )),
            Err(e) => StepOutcome::Failed(format!("cannot apply CORS rules: {}", describe(&e))),
        },
    };
    steps.push(Step {
        name: "cors",
        outcome: cors,
    });

    let rule = LifecycleRule::builder()
        .id(LIFECYCLE_RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(ABORT_AFTER_DAYS)
                .build(),
        )
        .build();
    let lifecycle = match rule.and_then(|r| BucketLifecycleConfiguration::builder().rules(r).build()) {
        Err(e) => StepOutcome::Failed(format!("invalid lifecycle rule: {e}")),
        Ok(conf) => match s3
            .put_bucket_lifecycle_configuration()
            .bucket(&cfg.bucket)
            .lifecycle_configuration(conf)
            .send()
            .await
        {
            Ok(_) => StepOutcome::Done(format!(
                "unfinished multipart uploads are aborted after {ABORT_AFTER_DAYS} days"
            )),
            Err(e) if unsupported(e.code()) => StepOutcome::Warning(format!(
                "this S3 server has no lifecycle rules ({}); Relais still reaps the uploads it knows about",
                describe(&e)
            )),
            Err(e) => StepOutcome::Failed(format!("cannot apply the lifecycle rule: {}", describe(&e))),
        },
    };
    steps.push(Step {
        name: "lifecycle",
        outcome: lifecycle,
    });
    steps
}

/// Reads back what `apply` would set, changing nothing.
pub async fn inspect(cfg: &S3Config) -> Vec<Step> {
    let s3 = client(cfg);
    let cors = match s3.get_bucket_cors().bucket(&cfg.bucket).send().await {
        Ok(out) => {
            let exposes = out
                .cors_rules()
                .iter()
                .any(|r| r.expose_headers().iter().any(|h| h.eq_ignore_ascii_case("etag")));
            if exposes {
                StepOutcome::Done("CORS rules expose ETag".into())
            } else {
                StepOutcome::Warning("no CORS rule exposes ETag; run `relais storage setup`".into())
            }
        }
        Err(e) if unsupported(e.code()) => {
            StepOutcome::Warning(format!("this S3 server does not support CORS ({})", describe(&e)))
        }
        Err(e) if e.code() == Some("NoSuchCORSConfiguration") => {
            StepOutcome::Warning("no CORS rules; run `relais storage setup`".into())
        }
        Err(e) => StepOutcome::Warning(format!("cannot read the CORS rules ({})", describe(&e))),
    };
    let lifecycle = match s3.get_bucket_lifecycle_configuration().bucket(&cfg.bucket).send().await {
        Ok(out)
            if out
                .rules()
                .iter()
                .any(|r| r.abort_incomplete_multipart_upload().is_some()) =>
        {
            StepOutcome::Done("a lifecycle rule aborts unfinished multipart uploads".into())
        }
        Ok(_) => StepOutcome::Warning(
            "no lifecycle rule aborts unfinished multipart uploads; run `relais storage setup`".into(),
        ),
        Err(e) if unsupported(e.code()) => {
            StepOutcome::Warning(format!("this S3 server has no lifecycle rules ({})", describe(&e)))
        }
        Err(e) => StepOutcome::Warning(format!(
            "no lifecycle rule ({}); run `relais storage setup`",
            describe(&e)
        )),
    };
    vec![
        Step {
            name: "cors",
            outcome: cors,
        },
        Step {
            name: "lifecycle",
            outcome: lifecycle,
        },
    ]
}
