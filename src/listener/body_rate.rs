//! The minimum upload rate of a request body.
//!
//! Only time spent waiting for the client counts: while a handler is busy between two
//! chunks (writing a file, a database commit) the clock stands still, so a slow disk is
//! never blamed on the client.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use poem::Body;
use tokio::time::Instant;

/// Whether a body was cut off for being too slow; the connection then answers 408 and closes.
#[derive(Clone, Default)]
pub struct TooSlow(Arc<AtomicBool>);

impl TooSlow {
    pub fn happened(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// `body`, failing with `TimedOut` once a window of `window` spent waiting brought fewer
/// than `min_bytes`.
pub fn enforce(body: Body, window: Duration, min_bytes: u64, too_slow: TooSlow) -> Body {
    if body.is_empty() {
        return body;
    }
    Body::from_bytes_stream(min_rate(
        body.into_bytes_stream(),
        window,
        min_bytes,
        too_slow,
    ))
}

struct Progress<S> {
    inner: std::pin::Pin<Box<S>>,
    window: Duration,
    min_bytes: u64,
    waited: Duration,
    arrived: u64,
    too_slow: TooSlow,
}

fn min_rate<S>(
    inner: S,
    window: Duration,
    min_bytes: u64,
    too_slow: TooSlow,
) -> impl Stream<Item = io::Result<bytes::Bytes>> + Send + 'static
where
    S: Stream<Item = io::Result<bytes::Bytes>> + Send + 'static,
{
    let progress = Progress {
        inner: Box::pin(inner),
        window,
        min_bytes,
        waited: Duration::ZERO,
        arrived: 0,
        too_slow,
    };
    futures_util::stream::unfold(Some(progress), |state| async move {
        let mut p = state?;
        loop {
            let started = Instant::now();
            let remaining = p.window.saturating_sub(p.waited);
            let next = tokio::time::timeout(remaining, p.inner.next()).await;
            p.waited += started.elapsed();
            let window_over = p.waited >= p.window;
            match next {
                Ok(Some(Ok(chunk))) => {
                    p.arrived += chunk.len() as u64;
                    if window_over {
                        if p.arrived < p.min_bytes {
                            return Some((Err(p.cut_off()), None));
                        }
                        p.waited = Duration::ZERO;
                        p.arrived = 0;
                    }
                    return Some((Ok(chunk), Some(p)));
                }
                Ok(Some(Err(e))) => return Some((Err(e), None)),
                Ok(None) => return None,
                Err(_elapsed) if p.arrived >= p.min_bytes => {
                    p.waited = Duration::ZERO;
                    p.arrived = 0;
                }
                Err(_elapsed) => return Some((Err(p.cut_off()), None)),
            }
        }
    })
}

impl<S> Progress<S> {
    fn cut_off(&self) -> io::Error {
        self.too_slow.0.store(true, Ordering::Relaxed);
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the request body arrived slower than {} bytes in {} s",
                self.min_bytes,
                self.window.as_secs()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trickle(
        chunks: Vec<(u64, &'static [u8])>,
    ) -> impl Stream<Item = io::Result<bytes::Bytes>> + Send + 'static {
        futures_util::stream::iter(chunks).then(|(delay_ms, data)| async move {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            Ok(bytes::Bytes::from_static(data))
        })
    }

    async fn collect(
        stream: impl Stream<Item = io::Result<bytes::Bytes>>,
    ) -> (Vec<u8>, Option<io::Error>) {
        futures_util::pin_mut!(stream);
        let mut got = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(chunk) => got.extend_from_slice(&chunk),
                Err(e) => return (got, Some(e)),
            }
        }
        (got, None)
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickling_body_is_cut_off_after_one_window() {
        let too_slow = TooSlow::default();
        let one_byte_a_second = (0..100).map(|_| (1000, &b"x"[..])).collect();
        let stream = min_rate(
            trickle(one_byte_a_second),
            Duration::from_secs(30),
            30 * 1024,
            too_slow.clone(),
        );
        let started = Instant::now();
        let (got, err) = collect(stream).await;
        assert_eq!(err.unwrap().kind(), io::ErrorKind::TimedOut);
        assert!(got.len() < 31, "{}", got.len());
        assert_eq!(started.elapsed(), Duration::from_secs(30));
        assert!(too_slow.happened());
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_body_passes_and_handler_time_does_not_count() {
        let too_slow = TooSlow::default();
        let chunks = (0..10).map(|_| (9_000, &[b'y'; 64][..])).collect();
        let stream = min_rate(
            trickle(chunks),
            Duration::from_secs(10),
            64,
            too_slow.clone(),
        );
        futures_util::pin_mut!(stream);
        let mut got = 0;
        while let Some(chunk) = stream.next().await {
            got += chunk.unwrap().len();
            // A slow consumer: its time is not the client's.
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        assert_eq!(got, 640);
        assert!(!too_slow.happened());
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_body_fails_even_without_a_rate() {
        let too_slow = TooSlow::default();
        let stream = min_rate(
            futures_util::stream::pending(),
            Duration::from_secs(5),
            1,
            too_slow.clone(),
        );
        let (_, err) = collect(stream).await;
        assert!(err.is_some());
        assert!(too_slow.happened());
    }
}
