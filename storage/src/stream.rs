//! Bodies as streams of bytes, so that memory stays bounded whatever the size.

use bytes::Bytes;
use futures_util::stream::BoxStream;

use crate::error::BlobError;

/// A stream of bytes read from or written to storage. Bodies always travel as streams so
/// that memory stays bounded whatever the size of the object.
pub type ByteStream = BoxStream<'static, Result<Bytes, BlobError>>;

/// Passes a stream on while checking it holds exactly `len` bytes: a body that runs long
/// or ends short fails instead of silently producing a part of the wrong size. Once `len`
/// bytes have passed it looks one item ahead before handing over the last chunk, because
/// an HTTP client that announced `Content-Length: len` stops reading right there and
/// would never see the excess.
pub(crate) fn exact_length(body: ByteStream, len: u64, part: u32) -> ByteStream {
    use futures_util::StreamExt;
    let wrong = move |actual: u64| BlobError::PartLength {
        part,
        expected: len,
        actual,
    };
    futures_util::stream::unfold((body, 0u64, false), move |(mut body, seen, finished)| async move {
        if finished {
            return None;
        }
        let chunk = match body.next().await {
            None if seen == len => return None,
            None => return Some((Err(wrong(seen)), (body, seen, true))),
            Some(Err(e)) => return Some((Err(e), (body, seen, true))),
            Some(Ok(chunk)) => chunk,
        };
        let seen = seen + chunk.len() as u64;
        if seen > len {
            return Some((Err(wrong(seen)), (body, seen, true)));
        }
        if seen < len {
            return Some((Ok(chunk), (body, seen, false)));
        }
        loop {
            match body.next().await {
                None => return Some((Ok(chunk), (body, seen, true))),
                Some(Ok(extra)) if extra.is_empty() => continue,
                Some(Ok(extra)) => return Some((Err(wrong(seen + extra.len() as u64)), (body, seen, true))),
                Some(Err(e)) => return Some((Err(e), (body, seen, true))),
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn chunks(sizes: &[usize]) -> ByteStream {
        let items: Vec<Result<Bytes, BlobError>> = sizes.iter().map(|n| Ok(Bytes::from(vec![7u8; *n]))).collect();
        futures_util::stream::iter(items).boxed()
    }

    async fn total(stream: ByteStream) -> Result<usize, BlobError> {
        let mut stream = stream;
        let mut n = 0;
        while let Some(item) = stream.next().await {
            n += item?.len();
        }
        Ok(n)
    }

    #[tokio::test]
    async fn exact_length_passes_an_exact_body_and_refuses_long_or_short_ones() {
        assert_eq!(total(exact_length(chunks(&[500, 500]), 1000, 1)).await.ok(), Some(1000));
        assert_eq!(
            total(exact_length(chunks(&[500, 500, 0]), 1000, 1)).await.ok(),
            Some(1000)
        );
        // The excess arrives after exactly `len` bytes: the last good chunk is held back.
        let mut long = exact_length(chunks(&[500, 500, 1000]), 1000, 1);
        assert!(long.next().await.is_some_and(|c| c.is_ok()));
        assert!(matches!(
            long.next().await,
            Some(Err(BlobError::PartLength { actual: 2000, .. }))
        ));
        assert!(matches!(
            total(exact_length(chunks(&[400]), 1000, 1)).await,
            Err(BlobError::PartLength { actual: 400, .. })
        ));
        assert!(matches!(
            total(exact_length(chunks(&[1500]), 1000, 1)).await,
            Err(BlobError::PartLength { .. })
        ));
    }
}
