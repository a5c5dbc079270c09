//! A connection kept between runs of a check: [`Kept`].

use std::sync::{Mutex, PoisonError};

use crate::check::BoxFuture;

/// A check's own connection, made on first use and kept between runs while it works.
///
/// A run takes it out and puts it back when done, so that when the runner's timeout
/// drops a run, its connection goes with it (half-read replies, an open transaction and
/// all), and the next run makes a new one.
pub(crate) struct Kept<C>(Mutex<Option<C>>);

impl<C> Default for Kept<C> {
    fn default() -> Self {
        Self(Mutex::new(None))
    }
}

/// Shows whether a connection is kept, never the connection itself (a client's
/// connection may hold its credentials).
impl<C> std::fmt::Debug for Kept<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        f.debug_struct("Kept").field("connected", &kept).finish()
    }
}

impl<C> Kept<C> {
    /// The kept connection, if there is one, out of the slot.
    pub(crate) fn take(&self) -> Option<C> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }

    /// Keeps `connection` for the next run.
    pub(crate) fn put_back(&self, connection: C) {
        // When two runs overlap, the second connection is simply closed.
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(connection);
    }

    /// Runs `probe` on the kept connection, or on a new one from `connect` when there is
    /// none or when it fails in a way `is_broken` says a new connection may cure (the
    /// server restarted since the last run). Keeps the connection when the probe
    /// succeeds; after a failure it is closed, since it may be left in any state.
    ///
    /// `probe` returns a boxed future: with an async closure (`AsyncFnMut`), the
    /// checks' futures could not be proven `Send` (rustc's auto-trait inference on the
    /// borrowing future of an async closure fails with E0477).
    #[cfg_attr(
        not(any(
            feature = "postgres",
            feature = "mysql",
            feature = "redis",
            feature = "memcached",
            feature = "rabbitmq"
        )),
        allow(dead_code)
    )]
    pub(crate) async fn run<T, E>(
        &self,
        connect: impl AsyncFnOnce() -> Result<C, E>,
        mut probe: impl for<'c> FnMut(&'c mut C) -> BoxFuture<'c, Result<T, E>>,
        is_broken: impl Fn(&E) -> bool,
    ) -> Result<T, E> {
        if let Some(mut connection) = self.take() {
            match probe(&mut connection).await {
                Ok(value) => {
                    self.put_back(connection);
                    return Ok(value);
                }
                Err(error) if is_broken(&error) => {}
                Err(error) => return Err(error),
            }
        }
        let mut connection = connect().await?;
        let value = probe(&mut connection).await?;
        self.put_back(connection);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// A connection that counts its probes; the error `true` is a broken connection.
    struct Conn {
        id: u32,
        probes: u32,
    }

    fn is_broken(&broken: &bool) -> bool {
        broken
    }

    /// Works, answering the connection's id.
    fn id(conn: &mut Conn) -> BoxFuture<'_, Result<u32, bool>> {
        conn.probes += 1;
        Box::pin(async { Ok(conn.id) })
    }

    /// Connection 1 is broken; the others work.
    fn first_broken(conn: &mut Conn) -> BoxFuture<'_, Result<u32, bool>> {
        conn.probes += 1;
        Box::pin(async { if conn.id == 1 { Err(true) } else { Ok(conn.id) } })
    }

    /// Fails in a way a new connection would not cure.
    fn refused(_: &mut Conn) -> BoxFuture<'_, Result<u32, bool>> {
        Box::pin(async { Err(false) })
    }

    #[tokio::test]
    async fn a_connection_is_made_once_and_kept_while_it_works() {
        let kept = Kept::default();
        let made = Cell::new(0);
        let connect = async || {
            made.set(made.get() + 1);
            Ok(Conn {
                id: made.get(),
                probes: 0,
            })
        };
        for _ in 0..3 {
            assert_eq!(kept.run(connect, id, is_broken).await, Ok(1));
        }
        assert_eq!(made.get(), 1);
        assert_eq!(kept.take().map(|conn| conn.probes), Some(3));
    }

    #[tokio::test]
    async fn a_broken_connection_is_replaced_once_and_other_failures_close_it() {
        let kept = Kept::default();
        kept.put_back(Conn { id: 1, probes: 0 });
        let connect = async || Ok(Conn { id: 2, probes: 0 });
        assert_eq!(kept.run(connect, first_broken, is_broken).await, Ok(2));
        assert_eq!(kept.take().map(|conn| (conn.id, conn.probes)), Some((2, 1)));

        // Reported at once, and the connection is not kept.
        kept.put_back(Conn { id: 3, probes: 0 });
        let connect = async || -> Result<Conn, bool> { panic!("no second try") };
        assert_eq!(kept.run(connect, refused, is_broken).await, Err(false));
        assert!(kept.take().is_none());

        // A new connection that fails is reported as it is.
        let connect = async || Err(true);
        assert_eq!(kept.run(connect, id, is_broken).await, Err(true));
        assert!(kept.take().is_none());
    }

    #[test]
    fn of_two_connections_put_back_the_first_is_kept() {
        let kept = Kept::default();
        kept.put_back(1);
        kept.put_back(2);
        assert_eq!(kept.take(), Some(1));
        assert_eq!(kept.take(), None);
    }
}
