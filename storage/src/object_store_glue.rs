//! What the backends built on object_store share (S3, memory).

use futures_util::{StreamExt, TryStreamExt};
use object_store::{GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt};

use crate::error::BlobError;
use crate::key::BlobKey;
use crate::object::{BlobMeta, BlobRead, ByteRange, resolve_range};

pub(crate) fn meta_from(meta: ObjectMeta) -> Result<BlobMeta, BlobError> {
    Ok(BlobMeta {
        key: BlobKey::parse(meta.location.as_ref()).map_err(|e| BlobError::Backend(e.to_string()))?,
        size: meta.size,
        etag: meta.e_tag,
        last_modified_ms: meta.last_modified.timestamp_millis(),
    })
}

pub(crate) async fn ranged_get(
    store: &dyn ObjectStore,
    key: &BlobKey,
    range: Option<ByteRange>,
) -> Result<BlobRead, BlobError> {
    let path = key.to_path();
    let meta = meta_from(store.head(&path).await?)?;
    let range = resolve_range(range, meta.size)?;
    if range.is_empty() {
        return Ok(BlobRead {
            meta,
            range,
            body: futures_util::stream::empty().boxed(),
        });
    }
    let options = GetOptions {
        range: Some(GetRange::Bounded(range.start..range.end)),
        ..Default::default()
    };
    let result = store.get_opts(&path, options).await?;
    let body = result.into_stream().map_err(BlobError::from).boxed();
    Ok(BlobRead { meta, range, body })
}
