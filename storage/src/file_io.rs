//! Plain files read and written on tokio's blocking pool, a megabyte per trip.
//!
//! `tokio::fs::File` sends every call to the blocking pool and copies the data through a
//! buffer of its own on the way: for a stream of network frames that is a thread hop and
//! an extra copy per frame (measured on the S3 write path, where each part passes through
//! a file: a tenth of the server's CPU went to those copies). Here bytes are gathered once
//! into a reused buffer and written in one call, and reads fill several chunks per trip
//! straight from the file, into buffers that come back to the stream once sent: fresh
//! memory for every chunk costs a page fault per 4 KiB (measured: reading the parts back
//! took 16 % of the server's CPU with fresh buffers, 3 % with recycled ones).

use std::collections::VecDeque;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::StreamExt;

use crate::error::BlobError;
use crate::stream::ByteStream;

/// Written bytes are gathered up to this size before one write.
const WRITE_BATCH: usize = 1024 * 1024;
/// The size of the chunks a read stream yields: small enough to be recycled by the
/// allocator's arenas (see `relais::memory`) and cheap for many parallel downloads.
const READ_CHUNK: usize = 256 * 1024;
/// Chunks read per trip to the blocking pool.
const CHUNKS_PER_TRIP: usize = 4;

/// Writes all of `data` with as few calls as the system allows (one, mostly): the pieces
/// go to the kernel straight from where they were received, never gathered by a copy.
pub(crate) fn write_all_vectored(mut out: impl Write, mut data: &mut [std::io::IoSlice<'_>]) -> std::io::Result<u64> {
    let mut written = 0;
    while !data.is_empty() {
        match out.write_vectored(data) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                written += n as u64;
                std::io::IoSlice::advance_slices(&mut data, n);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(written)
}

fn task_failed(what: &str, e: &tokio::task::JoinError) -> BlobError {
    BlobError::Backend(format!("{what} task failed: {e}"))
}

/// Writes a file through a reused buffer, on the blocking pool.
pub(crate) struct FileAppender {
    /// Taken while a blocking write holds it.
    file: Option<std::fs::File>,
    buffer: Vec<u8>,
}

impl FileAppender {
    pub fn new(file: std::fs::File) -> Self {
        Self {
            file: Some(file),
            buffer: Vec::with_capacity(WRITE_BATCH),
        }
    }

    /// Writes what is buffered, then fsyncs the data if `sync`.
    async fn drain(&mut self, sync: bool) -> Result<(), BlobError> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| BlobError::Backend("file lost after a failed write".into()))?;
        let buffer = std::mem::take(&mut self.buffer);
        let (file, mut buffer, result) = tokio::task::spawn_blocking(move || {
            let result = file
                .write_all(&buffer)
                .and_then(|()| if sync { file.sync_data() } else { Ok(()) });
            (file, buffer, result)
        })
        .await
        .map_err(|e| task_failed("file write", &e))?;
        buffer.clear();
        self.buffer = buffer;
        result?;
        // Only a file whose writes all succeeded is handed back: after an error, what
        // reached the disk is unknown, and the caller starts again from its last commit.
        self.file = Some(file);
        Ok(())
    }

    /// Writes what is buffered, without waiting for the disk.
    pub async fn flush(&mut self) -> Result<(), BlobError> {
        self.drain(false).await
    }
}

impl FileAppender {
    pub async fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= WRITE_BATCH {
            self.flush().await
        } else {
            Ok(())
        }
    }

    pub async fn sync(&mut self) -> Result<(), BlobError> {
        self.drain(true).await
    }
}

/// Buffers a read stream keeps for its next chunks, returned by the chunks it yielded
/// when the consumer drops them. At most `CHUNKS_PER_TRIP` are kept: a consumer that
/// holds on to more gets fresh ones, and memory stays bounded either way.
#[derive(Clone, Default)]
struct Recycler(Arc<Mutex<Vec<Vec<u8>>>>);

impl Recycler {
    /// A buffer of at least `size` bytes. Only what is needed is allocated, so that
    /// reading a small file does not clear a whole chunk.
    fn take(&self, size: usize) -> Vec<u8> {
        let mut buffer = self.0.lock().ok().and_then(|mut free| free.pop()).unwrap_or_default();
        if buffer.len() < size {
            buffer.resize(size, 0);
        }
        buffer
    }

    fn give_back(&self, buffer: Vec<u8>) {
        if let Ok(mut free) = self.0.lock()
            && free.len() < CHUNKS_PER_TRIP
        {
            free.push(buffer);
        }
    }
}

/// The owner of a chunk's memory: its buffer goes back to the stream when dropped.
struct Chunk {
    buffer: Vec<u8>,
    len: usize,
    recycler: Recycler,
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        &self.buffer[..self.len]
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        self.recycler.give_back(std::mem::take(&mut self.buffer));
    }
}

/// Streams `len` bytes of `file` from `start`. A file that turns out shorter ends the
/// stream with an error rather than quietly, so that a short body is never taken for
/// a whole one.
pub fn read_stream(file: std::fs::File, start: u64, len: u64) -> ByteStream {
    struct State {
        file: Option<std::fs::File>,
        pos: u64,
        end: u64,
        ready: VecDeque<Bytes>,
        recycler: Recycler,
    }
    let state = State {
        file: Some(file),
        pos: start,
        end: start + len,
        ready: VecDeque::with_capacity(CHUNKS_PER_TRIP),
        recycler: Recycler::default(),
    };
    futures_util::stream::try_unfold(state, |mut st| async move {
        if let Some(chunk) = st.ready.pop_front() {
            return Ok(Some((chunk, st)));
        }
        if st.pos >= st.end {
            return Ok(None);
        }
        let file = st
            .file
            .take()
            .ok_or_else(|| BlobError::Backend("file lost after a failed read".into()))?;
        let (pos, want, recycler) = (st.pos, st.end - st.pos, st.recycler.clone());
        let (file, chunks) = tokio::task::spawn_blocking(move || {
            let chunks = read_chunks(&file, pos, want, &recycler);
            (file, chunks)
        })
        .await
        .map_err(|e| task_failed("file read", &e))?;
        st.file = Some(file);
        st.ready = chunks?;
        st.pos += st.ready.iter().map(|c| c.len() as u64).sum::<u64>();
        match st.ready.pop_front() {
            Some(chunk) => Ok(Some((chunk, st))),
            None => Err(BlobError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("the file ends {want} bytes early"),
            ))),
        }
    })
    .boxed()
}

/// Reads up to `CHUNKS_PER_TRIP` chunks from `pos`, at most `want` bytes; fewer at the
/// end of the file.
fn read_chunks(
    mut file: &std::fs::File,
    pos: u64,
    want: u64,
    recycler: &Recycler,
) -> Result<VecDeque<Bytes>, BlobError> {
    file.seek(SeekFrom::Start(pos))?;
    let mut chunks = VecDeque::with_capacity(CHUNKS_PER_TRIP);
    let mut left = want;
    while left > 0 && chunks.len() < CHUNKS_PER_TRIP {
        let size = left.min(READ_CHUNK as u64) as usize;
        let mut buffer = recycler.take(size);
        let mut len = 0;
        while len < size {
            match file.read(&mut buffer[len..size]) {
                Ok(0) => break,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        if len == 0 {
            recycler.give_back(buffer);
            break;
        }
        left -= len as u64;
        chunks.push_back(Bytes::from_owner(Chunk {
            buffer,
            len,
            recycler: recycler.clone(),
        }));
        if len < size {
            break;
        }
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    fn numbered(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[tokio::test]
    async fn written_bytes_read_back_in_any_range() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("f");
        let data = numbered(3 * WRITE_BATCH + 12_345);
        let mut out = FileAppender::new(std::fs::File::create(&path).expect("create"));
        // Pieces of odd sizes, across batch boundaries.
        for piece in data.chunks(70_001) {
            out.write(piece).await.expect("write");
        }
        out.sync().await.expect("sync");
        assert_eq!(std::fs::read(&path).expect("read"), data);

        for (start, len) in [
            (0, data.len()),
            (1, 5),
            (READ_CHUNK as u64 - 1, 2 * READ_CHUNK + 7),
            (1_000_000, 0),
        ] {
            let file = std::fs::File::open(&path).expect("open");
            let chunks: Vec<Bytes> = read_stream(file, start, len as u64)
                .try_collect()
                .await
                .expect("stream");
            assert!(chunks.iter().all(|c| c.len() <= READ_CHUNK));
            assert_eq!(
                chunks.concat(),
                data[start as usize..start as usize + len],
                "range {start}+{len}"
            );
        }
    }

    #[tokio::test]
    async fn a_file_shorter_than_announced_ends_the_stream_with_an_error() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("f");
        std::fs::write(&path, numbered(10_000)).expect("write");
        let file = std::fs::File::open(&path).expect("open");
        let mut stream = read_stream(file, 0, 20_000);
        let first = stream.next().await.expect("chunk").expect("bytes");
        assert_eq!(first.len(), 10_000);
        let err = stream.next().await.expect("an error, not the end").expect_err("error");
        assert!(err.to_string().contains("10000 bytes early"), "{err}");
    }

    #[tokio::test]
    async fn a_consumer_that_drops_its_chunks_gets_the_same_buffers_back() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("f");
        let data = numbered(5 * CHUNKS_PER_TRIP * READ_CHUNK);
        std::fs::write(&path, &data).expect("write");
        let mut stream = read_stream(std::fs::File::open(&path).expect("open"), 0, data.len() as u64);
        let (mut seen, mut read) = (std::collections::HashSet::new(), Vec::new());
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.expect("chunk");
            seen.insert(chunk.as_ptr() as usize);
            read.extend_from_slice(&chunk);
        }
        assert_eq!(read, data);
        assert_eq!(seen.len(), CHUNKS_PER_TRIP, "20 chunks read through 4 buffers");
    }
}
