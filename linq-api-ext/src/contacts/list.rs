//! Listing: one page, or a stream that walks the pages (optionally fetching a few ahead) while
//! yielding contacts in page order — or the pages themselves, each with its call's metadata.
//! Linq pages by offset: see [`ListContacts::stream`] for what that means while contacts change.

use std::{
    collections::VecDeque,
    future::IntoFuture,
    num::NonZeroU64,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    task::{Context, Poll},
};

use futures_util::{
    stream::{self, BoxStream},
    Future, Stream, StreamExt, TryStreamExt,
};

use tracing::Instrument;

use super::calls::LIST;
use crate::{
    call::{self, meta::ResponseMeta, request_builder, CallOptions},
    client::LinqClient,
    error::{Error, Result},
    model::{Contact, Pagination},
};

/// The largest page Linq serves (the spec's `per_page` maximum).
pub const MAX_PER_PAGE: u64 = linq_api::spec::PER_PAGE_MAX;

/// The most pages a stream fetches at once.
pub const MAX_CONCURRENCY: usize = 32;

/// One page of contacts and where it stands in the whole list.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ContactPage {
    /// The contacts on this page, in Linq's order.
    pub contacts: Vec<Contact>,
    /// `current_page`, `per_page`, `total_pages` and `total_count`.
    pub pagination: Pagination,
}

impl ContactPage {
    /// Whether a later page exists.
    pub fn has_next(&self) -> bool {
        self.pagination.current_page < self.pagination.total_pages && !self.contacts.is_empty()
    }
}

/// Lists contacts; see [`Contacts::list`](crate::Contacts::list).
///
/// ```no_run
/// use futures_util::TryStreamExt;
/// # async fn run(linq: linq_api_ext::LinqClient) -> Result<(), linq_api_ext::Error> {
/// // One page:
/// let page = linq.contacts().list().page(2).per_page(50).send().await?;
/// println!("{} of {}", page.contacts.len(), page.pagination.total_count);
///
/// // Every contact, 100 per page, fetching up to 4 pages ahead:
/// let all: Vec<_> = linq.contacts().list().per_page(100).concurrency(4).stream().try_collect().await?;
///
/// // Every page, each with the metadata of its call (status, request id, attempts, …):
/// let mut pages = linq.contacts().list().per_page(100).pages();
/// while let Some((page, meta)) = pages.try_next().await? {
///     println!("page {}: request {:?}", page.pagination.current_page, meta.request_id());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a request does nothing until it is sent"]
pub struct ListContacts {
    client: LinqClient,
    page: Option<u64>,
    per_page: Option<u64>,
    concurrency: usize,
    options: CallOptions,
}

impl ListContacts {
    pub(crate) fn new(client: LinqClient) -> Self {
        Self {
            client,
            page: None,
            per_page: None,
            concurrency: 1,
            options: CallOptions::default(),
        }
    }

    /// The page to get (from 1; Linq's default is 1). For [`stream`](Self::stream), the page
    /// to start from.
    pub fn page(mut self, page: u64) -> Self {
        self.page = Some(page);
        self
    }

    /// Contacts per page, 1 to 100 (Linq's default is 25). Kept for every page of a stream.
    pub fn per_page(mut self, per_page: u64) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// How many pages a [`stream`](Self::stream) may fetch at once, from 1 (the default: one
    /// after the other) to [`MAX_CONCURRENCY`]; other values are clamped. Pages are fetched
    /// ahead on tasks of their own while the caller works through the contacts already
    /// yielded, each answered page starting the next request at once; contacts are yielded in
    /// order whatever the value. Memory stays bounded: at most `pages` requests run at once,
    /// and at most twice `pages` pages wait for the caller.
    pub fn concurrency(mut self, pages: usize) -> Self {
        self.concurrency = pages.clamp(1, MAX_CONCURRENCY);
        self
    }

    fn checked(&self) -> Result<(Option<NonZeroU64>, Option<NonZeroU64>)> {
        let page = match self.page {
            None => None,
            Some(p) => Some(
                NonZeroU64::new(p)
                    .ok_or_else(|| Error::invalid("page", "must be at least 1, got 0"))?,
            ),
        };
        let per_page = match self.per_page {
            None => None,
            Some(n) if (linq_api::spec::PER_PAGE_MIN..=MAX_PER_PAGE).contains(&n) => {
                NonZeroU64::new(n)
            }
            Some(n) => {
                return Err(Error::invalid(
                    "per_page",
                    format!(
                        "must be between {} and {MAX_PER_PAGE}, got {n}",
                        linq_api::spec::PER_PAGE_MIN
                    ),
                ))
            }
        };
        Ok((page, per_page))
    }

    /// Gets one page.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] (nothing sent) for `page` 0 or `per_page` outside 1..=100;
    /// [`Error::WrongPage`] when another page than the one asked for comes back; any transport
    /// or API error.
    pub async fn send(self) -> Result<ContactPage> {
        self.send_with_meta().await.map(|(page, _)| page)
    }

    /// Gets one page, with the call's metadata.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_with_meta(self) -> Result<(ContactPage, ResponseMeta)> {
        let (page, per_page) = self.checked()?;
        fetch(&self.client, page, per_page, &self.options).await
    }

    /// The contacts from [`page`](Self::page) (default 1) to the last page, page by page in
    /// Linq's order.
    ///
    /// # While contacts change
    ///
    /// Linq pages by offset (`page`, `per_page`), with no cursor or snapshot. A contact created
    /// or deleted while the stream walks the pages shifts the ones after it: a contact can then
    /// be **skipped** (a deletion on an earlier page moves it back onto a page already read)
    /// or **yielded twice** (a creation on an earlier page pushes it onto the next page). Pages
    /// fetched ahead ([`concurrency`](Self::concurrency)) do not change that. What a caller can
    /// do: export while nothing writes, deduplicate by [`Contact::id`] (a repeat is harmless
    /// then), and to catch skips, compare the count yielded with the last page's
    /// `total_count` or walk again; `updated_at` tells what changed during the walk.
    ///
    /// A page that comes back as another page than the one asked for ends the stream with
    /// [`Error::WrongPage`].
    ///
    /// The stream follows `total_pages` as Linq reports it on each page, stops cleanly after
    /// the last page or at the first empty one, and ends after yielding the first error.
    /// Invalid settings are yielded as an [`Error::InvalidInput`] before anything is sent.
    /// The per-call overrides ([`timeout`](Self::timeout), [`total_deadline`](Self::total_deadline),
    /// [`max_retries`](Self::max_retries)) apply to each page request. Like every call of this
    /// crate, the stream must be polled inside a Tokio runtime.
    pub fn stream(self) -> ContactStream {
        let contacts = self
            .pages()
            .map_ok(|(page, _)| stream::iter(page.contacts.into_iter().map(Ok)))
            .try_flatten();
        ContactStream(contacts.boxed())
    }

    /// The pages from [`page`](Self::page) (default 1) to the last, each with the
    /// [`ResponseMeta`] of the call that got it (its status, headers, request id, attempts and
    /// elapsed time): what [`stream`](Self::stream) walks, before it flattens the pages into
    /// contacts. Everything [`stream`](Self::stream) says holds here too — pages fetched
    /// ahead with [`concurrency`](Self::concurrency), yielded in order; contacts that change
    /// during the walk; the end after the last page, or after an empty page (which is
    /// yielded), or after the first error.
    pub fn pages(self) -> PageStream {
        let start = self.checked().map(|(page, per_page)| {
            let first = page.map_or(1, NonZeroU64::get);
            Walk::new(self.client, per_page, self.options, self.concurrency, first)
        });
        PageStream(match start {
            Ok(walk) => stream::unfold(walk, Walk::step).boxed(),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        })
    }
}
request_builder!(ListContacts);

/// The pages of a list, each with its call's metadata; see [`ListContacts::pages`]. A
/// [`Stream`] of `Result<(ContactPage, ResponseMeta)>` that is `Send`, `Unpin` and `'static`.
#[must_use = "streams do nothing unless polled"]
pub struct PageStream(BoxStream<'static, Result<(ContactPage, ResponseMeta)>>);

impl Stream for PageStream {
    type Item = Result<(ContactPage, ResponseMeta)>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for PageStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageStream")
    }
}

/// The contacts of a list, page by page; see [`ListContacts::stream`] (and what it says about
/// contacts that change during the walk). A
/// [`Stream`] of `Result<Contact>` that is `Send`, `Unpin` and `'static`.
#[must_use = "streams do nothing unless polled"]
pub struct ContactStream(BoxStream<'static, Result<Contact>>);

impl Stream for ContactStream {
    type Item = Result<Contact>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for ContactStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContactStream")
    }
}

impl IntoFuture for ListContacts {
    type Output = Result<ContactPage>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Gets one page through the retry loop.
async fn fetch(
    client: &LinqClient,
    page: Option<NonZeroU64>,
    per_page: Option<NonZeroU64>,
    options: &CallOptions,
) -> Result<(ContactPage, ResponseMeta)> {
    let raw = client.raw();
    let (list, meta) = call::run(client.settings(), LIST, options, None, || {
        raw.list_contacts(page, per_page)
    })
    .await?;
    // Linq's default page is 1.
    let requested = page.map_or(1, NonZeroU64::get);
    if u64::try_from(list.pagination.current_page).ok() != Some(requested) {
        return Err(Error::WrongPage {
            requested,
            received: list.pagination.current_page,
        });
    }
    let contacts = list
        .contacts
        .into_iter()
        .map(Contact::from_generated)
        .collect();
    let page = ContactPage {
        contacts,
        pagination: list.pagination.into(),
    };
    Ok((page, meta))
}

/// A page request running on its own task; dropping it (the stream ended or was dropped)
/// aborts the request.
struct PageTask(tokio::task::JoinHandle<Result<(ContactPage, ResponseMeta)>>);

impl Future for PageTask {
    type Output = Result<(ContactPage, ResponseMeta)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(page) => page,
            // A panic in a page request is a bug: let it surface where the stream is polled.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only `Drop` aborts, so a live task is never cancelled.
            Err(_) => Err(Error::Config("a page request was cancelled".into())),
        })
    }
}

impl Drop for PageTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A stream over every page: the plan of its page requests, shared by the stream and the
/// page tasks. A page task that gets its answer starts the next page itself, so the window
/// keeps moving at the pace of Linq's answers rather than of the caller's polls (on a
/// current-thread runtime, the caller runs only after every page task that was ready).
struct Walk(Arc<Window>);

/// What every page request of a walk shares.
struct Window {
    client: LinqClient,
    per_page: Option<NonZeroU64>,
    options: CallOptions,
    concurrency: usize,
    plan: Mutex<Plan>,
}

/// Which pages are asked for, and which are waiting to be handed over.
struct Plan {
    /// The next page to request.
    next_page: u64,
    /// The last page, as the latest page answered reports it; unknown before the first.
    last_page: Option<u64>,
    /// Requests sent and not answered yet: at most the concurrency.
    running: usize,
    /// Pages requested and not yet handed over, in page order: at most twice the
    /// concurrency, so a caller slower than Linq holds up the fetching ahead.
    started: VecDeque<PageTask>,
    /// No more requests: the stream ended, or a page came back empty or failed.
    closed: bool,
}

impl Walk {
    fn new(
        client: LinqClient,
        per_page: Option<NonZeroU64>,
        options: CallOptions,
        concurrency: usize,
        first_page: u64,
    ) -> Self {
        Self(Arc::new(Window {
            client,
            per_page,
            options,
            concurrency,
            plan: Mutex::new(Plan {
                next_page: first_page,
                last_page: None,
                running: 0,
                started: VecDeque::new(),
                closed: false,
            }),
        }))
    }

    /// The next page, in order.
    async fn step(self) -> Option<(Result<(ContactPage, ResponseMeta)>, Self)> {
        let next = {
            let mut plan = self.0.lock();
            self.0.top_up(&mut plan);
            plan.started.pop_front()
        };
        match next?.await {
            Err(error) => {
                self.0.close();
                Some((Err(error), self))
            }
            Ok((page, meta)) => {
                let p = &page.pagination;
                if page.contacts.is_empty() || p.current_page >= p.total_pages {
                    self.0.close();
                }
                Some((Ok((page, meta)), self))
            }
        }
    }
}

impl Drop for Walk {
    /// Aborts the requests in flight.
    fn drop(&mut self) {
        self.0.close();
    }
}

impl Window {
    fn lock(&self) -> MutexGuard<'_, Plan> {
        // A page task never panics while holding the plan; if one did, the plan is still whole.
        self.plan.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts page requests up to the concurrency (only one until the page count is known),
    /// holding at most twice the concurrency pages not yet handed over.
    fn top_up(self: &Arc<Self>, plan: &mut Plan) {
        let limit = if plan.last_page.is_some() {
            self.concurrency
        } else {
            1
        };
        while !plan.closed
            && plan.running < limit
            && plan.started.len() < 2 * self.concurrency
            && plan.last_page.is_none_or(|last| plan.next_page <= last)
        {
            let Some(page) = NonZeroU64::new(plan.next_page) else {
                return;
            };
            let window = Arc::clone(self);
            // On a task of its own, so the page keeps coming (and its deadline means what it
            // says) while the caller is busy with the contacts already yielded; in the caller's
            // span (the one current while the stream is polled, which page tasks inherit), so
            // its traces stay the caller's.
            plan.started.push_back(PageTask(tokio::spawn(
                async move {
                    let answer =
                        fetch(&window.client, Some(page), window.per_page, &window.options).await;
                    window.answered(&answer);
                    answer
                }
                .instrument(tracing::Span::current()),
            )));
            plan.running += 1;
            plan.next_page = plan.next_page.saturating_add(1);
        }
    }

    /// A page request got its answer: when fetching ahead, the next one starts now, unless
    /// the walk ends here. With a concurrency of 1, pages are fetched one after the other,
    /// each when the caller asks for it.
    fn answered(self: &Arc<Self>, answer: &Result<(ContactPage, ResponseMeta)>) {
        let mut plan = self.lock();
        plan.running -= 1;
        match answer {
            Ok((page, _)) if !page.contacts.is_empty() => {
                plan.last_page = Some(page.pagination.total_pages);
                if self.concurrency > 1 {
                    self.top_up(&mut plan);
                }
            }
            // An empty page or an error ends the walk once the caller reaches it.
            _ => plan.closed = true,
        }
    }

    /// Stops: no more requests, and those in flight are dropped.
    fn close(&self) {
        let started = {
            let mut plan = self.lock();
            plan.closed = true;
            std::mem::take(&mut plan.started)
        };
        // Aborted outside the lock.
        drop(started);
    }
}
