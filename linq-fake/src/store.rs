//! The fake's in-memory contacts and the rules of the seven operations.
//!
//! Everything here is synchronous and pure apart from the clock passed in: the server module
//! decides which operation runs, this module decides what it answers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use http::StatusCode;
use serde_json::{json, Map, Value};

use linq_api::types::{Contact, ContactOwner};

use super::{Duplicates, OrganizationUser};

/// Contacts per page when `per_page` is not given (the spec's default).
pub(super) const DEFAULT_PER_PAGE: i64 = linq_api::spec::PER_PAGE_DEFAULT as i64;
/// The largest `per_page` the fake accepts (the spec's maximum).
pub(super) const MAX_PER_PAGE: i64 = linq_api::spec::PER_PAGE_MAX as i64;

/// The documented message of the "at least one identity field" rule.
pub(super) const AT_LEAST_ONE: &str =
    "At least one of the name, email, or phone number fields must be filled out for the contact";
/// The documented detail of a 404.
pub(super) const NOT_FOUND_DETAIL: &str =
    "The requested contact does not exist or is not accessible to your organization";

/// The writable fields, in the order of the spec; the first four are the identity fields.
const FIELDS: [&str; 7] = [
    "first_name",
    "last_name",
    "email",
    "phone_number",
    "company",
    "title",
    "location",
];
const FIRST_NAME: usize = 0;
const LAST_NAME: usize = 1;
const EMAIL: usize = 2;
const PHONE: usize = 3;
const IDENTITY: std::ops::Range<usize> = 0..4;

/// What an operation answers: a status and an optional JSON body.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) body: Option<Value>,
}

impl Answer {
    pub(super) fn ok(status: StatusCode, body: Value) -> Answer {
        Answer {
            status,
            body: Some(body),
        }
    }

    /// An answer without a body (a 204).
    pub(super) fn empty(status: StatusCode) -> Answer {
        Answer { status, body: None }
    }

    /// A body in Linq's `render_standard_error` format.
    pub(super) fn standard_error(
        status: StatusCode,
        error_code: &str,
        message: &str,
        errors: Vec<String>,
    ) -> Answer {
        Answer::ok(
            status,
            json!({"status": "error", "error_code": error_code, "message": message, "errors": errors}),
        )
    }

    /// A body in Linq's `render_error` format.
    pub(super) fn render_error(status: StatusCode, code: &str, detail: &str) -> Answer {
        let title = status.canonical_reason().unwrap_or("Error");
        Answer::ok(
            status,
            json!({"errors": [{"status": status.as_u16(), "code": code, "title": title, "detail": detail}]}),
        )
    }

    fn bad_request(message: &str, error: String) -> Answer {
        Answer::standard_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", message, vec![error])
    }

    fn validation(message: &str, errors: Vec<String>) -> Answer {
        Answer::standard_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
            message,
            errors,
        )
    }

    fn not_found() -> Answer {
        Answer::standard_error(
            StatusCode::NOT_FOUND,
            "CONTACT_NOT_FOUND",
            "Contact not found",
            vec![NOT_FOUND_DETAIL.to_owned()],
        )
    }
}

#[derive(Debug, Clone)]
struct Record {
    id: NonZeroU64,
    fields: [Option<String>; 7],
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    owner: Option<OrganizationUser>,
}

impl Record {
    /// First and last name joined by a space; `None` when both are missing or blank.
    fn full_name(&self) -> Option<String> {
        let names: Vec<&str> = [FIRST_NAME, LAST_NAME]
            .iter()
            .filter_map(|&i| self.fields[i].as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        (!names.is_empty()).then(|| names.join(" "))
    }

    /// The contact as the generated client decodes it.
    fn contact(&self) -> Contact {
        let [first_name, last_name, email, phone_number, company, title, location] =
            self.fields.clone();
        Contact {
            id: self.id,
            first_name,
            last_name,
            full_name: self.full_name(),
            email,
            phone_number,
            company,
            title,
            location,
            image_url: None,
            created_at: Some(self.created_at.fixed_offset()),
            updated_at: Some(self.updated_at.fixed_offset()),
            contact_owner: self.owner.as_ref().map(|user| ContactOwner {
                id: Some(user.id),
                email: Some(user.email.clone()),
                first_name: Some(user.first_name.clone()),
                last_name: Some(user.last_name.clone()),
                name: Some(user.name()),
            }),
        }
    }

    /// The contact as the fake sends it: every field present, `null` when unset.
    fn wire(&self) -> Value {
        let field = |i: usize| self.fields[i].clone().map_or(Value::Null, Value::String);
        json!({
            "id": self.id,
            "first_name": field(FIRST_NAME),
            "last_name": field(LAST_NAME),
            "full_name": self.full_name(),
            "email": field(EMAIL),
            "phone_number": field(PHONE),
            "company": field(4),
            "title": field(5),
            "location": field(6),
            "image_url": null,
            "created_at": timestamp(self.created_at),
            "updated_at": timestamp(self.updated_at),
            "contact_owner": self.owner.as_ref().map(owner_wire),
        })
    }
}

fn owner_wire(user: &OrganizationUser) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "name": user.name(),
    })
}

/// The current time, truncated to milliseconds (the precision the fake sends), so a
/// contact read from the fake directly equals the one a client decodes.
pub(super) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// RFC 3339 with milliseconds and a numeric offset, as Linq's examples show.
pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, false)
}

/// The changes a create/update body asks for, already validated.
struct Changes {
    /// Per field: `None` = not sent, `Some(None)` = set to null, `Some(Some(v))` = set.
    fields: [Option<Option<String>>; 7],
    /// The owner the body asks for (`user_email`), resolved.
    owner: Option<OrganizationUser>,
}

/// The contact ids of a fake, shared by its organizations: ids count up from 1 across all of
/// them, so an id of one organization is never a contact of another. Ids are positive, as the
/// spec says (`minimum: 1`): the counter holds the highest id given so far (0 at first).
#[derive(Debug, Clone)]
pub(super) struct Ids(Arc<AtomicU64>);

impl Ids {
    pub(super) fn new() -> Ids {
        Ids(Arc::new(AtomicU64::new(0)))
    }

    fn next(&self) -> NonZeroU64 {
        let given = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |given| {
                Some(given.saturating_add(1))
            })
            .unwrap_or_else(|given| given);
        NonZeroU64::MIN.saturating_add(given)
    }

    /// Takes `id` if it was never given: the next ids count up from past it. `false` for an
    /// id already given (ids are never reused).
    fn claim(&self, id: NonZeroU64) -> bool {
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |given| {
                (id.get() > given).then_some(id.get())
            })
            .is_ok()
    }
}

/// The contacts of each email (trimmed, lower-cased) and each stored phone number, so that
/// find and the duplicate rule look up rather than scan: an import of 100,000 rows makes
/// 100,000 finds.
#[derive(Debug, Default)]
struct Index {
    by_email: HashMap<String, BTreeSet<NonZeroU64>>,
    by_phone: HashMap<String, BTreeSet<NonZeroU64>>,
}

impl Index {
    fn email_key(fields: &[Option<String>; 7]) -> Option<String> {
        fields[EMAIL]
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty())
    }

    fn phone_key(fields: &[Option<String>; 7]) -> Option<String> {
        fields[PHONE].clone().filter(|p| !p.is_empty())
    }

    fn add(&mut self, id: NonZeroU64, fields: &[Option<String>; 7]) {
        if let Some(email) = Self::email_key(fields) {
            self.by_email.entry(email).or_default().insert(id);
        }
        if let Some(phone) = Self::phone_key(fields) {
            self.by_phone.entry(phone).or_default().insert(id);
        }
    }

    fn remove(&mut self, id: NonZeroU64, fields: &[Option<String>; 7]) {
        for (map, key) in [
            (&mut self.by_email, Self::email_key(fields)),
            (&mut self.by_phone, Self::phone_key(fields)),
        ] {
            if let Some(key) = key {
                if let Some(ids) = map.get_mut(&key) {
                    ids.remove(&id);
                    if ids.is_empty() {
                        map.remove(&key);
                    }
                }
            }
        }
    }

    /// The lowest id among the contacts with this email (lower-cased) or this phone number.
    fn first(&self, email: Option<&str>, phone: Option<&str>) -> Option<NonZeroU64> {
        let lowest = |map: &HashMap<String, BTreeSet<NonZeroU64>>, key: Option<&str>| {
            key.and_then(|k| map.get(k))
                .and_then(|ids| ids.first().copied())
        };
        [lowest(&self.by_email, email), lowest(&self.by_phone, phone)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether a contact other than `except` has this email (lower-cased) or phone number.
    fn taken(
        map: &HashMap<String, BTreeSet<NonZeroU64>>,
        key: Option<&str>,
        except: Option<NonZeroU64>,
    ) -> bool {
        key.and_then(|k| map.get(k))
            .is_some_and(|ids| ids.iter().any(|id| Some(*id) != except))
    }
}

/// One organization's contacts.
#[derive(Debug)]
pub(super) struct Store {
    contacts: BTreeMap<NonZeroU64, Record>,
    index: Index,
    ids: Ids,
    users: Vec<OrganizationUser>,
    /// What create, PUT and PATCH do with an email or phone number another contact has.
    pub(super) duplicates: Duplicates,
}

impl Store {
    pub(super) fn new(users: Vec<OrganizationUser>, ids: Ids) -> Store {
        Store {
            contacts: BTreeMap::new(),
            index: Index::default(),
            ids,
            users,
            duplicates: Duplicates::default(),
        }
    }

    fn default_owner(&self) -> Option<OrganizationUser> {
        self.users.iter().find(|u| u.admin).cloned()
    }

    /// Every contact, by id.
    pub(super) fn all(&self) -> Vec<Contact> {
        self.contacts.values().map(Record::contact).collect()
    }

    /// One contact.
    pub(super) fn one(&self, id: NonZeroU64) -> Option<Contact> {
        self.contacts.get(&id).map(Record::contact)
    }

    /// Adds a contact without any validation except phone normalisation (a number that cannot
    /// be normalised is stored as given); owned by the default owner.
    pub(super) fn seed(&mut self, fields: [Option<String>; 7], now: DateTime<Utc>) -> Contact {
        let mut fields = fields;
        if let Some(phone) = fields[PHONE].take() {
            fields[PHONE] = Some(normalize_phone(&phone).unwrap_or(phone));
        }
        let owner = self.default_owner();
        self.insert(fields, owner, now).contact()
    }

    /// The user of the organization with this email (case-insensitive).
    fn user(&self, email: &str) -> Option<&OrganizationUser> {
        self.users
            .iter()
            .find(|u| u.email.trim().eq_ignore_ascii_case(email))
    }

    /// Adds a contact as it was read from the fake (see `FakeLinq::restore_contact`): its id,
    /// fields, times and owner (by email among the users; else the default owner). `None` when
    /// the id was already given.
    pub(super) fn restore(&mut self, contact: Contact) -> Option<Contact> {
        if !self.ids.claim(contact.id) {
            return None;
        }
        let owner = match &contact.contact_owner {
            None => None,
            Some(owner) => owner
                .email
                .as_deref()
                .and_then(|email| self.user(email.trim()))
                .cloned()
                .or_else(|| self.default_owner()),
        };
        let now = now();
        let created_at = contact.created_at.map_or(now, |t| t.with_timezone(&Utc));
        let record = Record {
            id: contact.id,
            fields: [
                contact.first_name,
                contact.last_name,
                contact.email,
                contact.phone_number,
                contact.company,
                contact.title,
                contact.location,
            ],
            created_at,
            updated_at: contact
                .updated_at
                .map_or(created_at, |t| t.with_timezone(&Utc)),
            owner,
        };
        self.index.add(record.id, &record.fields);
        Some(self.contacts.entry(record.id).or_insert(record).contact())
    }

    fn insert(
        &mut self,
        fields: [Option<String>; 7],
        owner: Option<OrganizationUser>,
        now: DateTime<Utc>,
    ) -> &Record {
        let id = self.ids.next();
        self.index.add(id, &fields);
        let record = Record {
            id,
            fields,
            created_at: now,
            updated_at: now,
            owner,
        };
        self.contacts.entry(id).or_insert(record)
    }

    /// `GET /contacts?page&per_page`.
    pub(super) fn list(&self, query: &Query) -> Answer {
        let page = match parse_bound(query.get("page"), 1, i64::MAX) {
            Ok(page) => page.unwrap_or(1),
            Err(()) => {
                return Answer::validation(
                    "Invalid pagination parameters",
                    vec!["page must be an integer greater than or equal to 1".to_owned()],
                )
            }
        };
        let per_page = match parse_bound(
            query.get("per_page"),
            linq_api::spec::PER_PAGE_MIN as i64,
            MAX_PER_PAGE,
        ) {
            Ok(per_page) => per_page.unwrap_or(DEFAULT_PER_PAGE),
            Err(()) => {
                return Answer::validation(
                    "Invalid pagination parameters",
                    vec![format!(
                        "per_page must be an integer between 1 and {MAX_PER_PAGE}"
                    )],
                )
            }
        };
        let total_count = i64::try_from(self.contacts.len()).unwrap_or(i64::MAX);
        let total_pages = total_count / per_page + i64::from(total_count % per_page != 0);
        let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let take = usize::try_from(per_page).unwrap_or(usize::MAX);
        let contacts: Vec<Value> = self
            .contacts
            .values()
            .skip(skip)
            .take(take)
            .map(Record::wire)
            .collect();
        Answer::ok(
            StatusCode::OK,
            json!({
                "contacts": contacts,
                "pagination": {
                    "current_page": page,
                    "per_page": per_page,
                    "total_pages": total_pages,
                    "total_count": total_count,
                },
            }),
        )
    }

    /// `POST /contacts`.
    pub(super) fn create(&mut self, body: &[u8], now: DateTime<Utc>) -> Answer {
        let changes = match self.parse_changes(body) {
            Ok(changes) => changes,
            Err(answer) => return answer,
        };
        let mut fields: [Option<String>; 7] = Default::default();
        for (slot, change) in fields.iter_mut().zip(changes.fields) {
            *slot = change.flatten();
        }
        if let Some(answer) = self.duplicate(&fields, None) {
            return answer;
        }
        let owner = changes.owner.or_else(|| self.default_owner());
        let contact = self.insert(fields, owner, now).wire();
        Answer::ok(StatusCode::CREATED, json!({ "data": contact }))
    }

    /// `GET /contacts/find?email&phone_number`.
    pub(super) fn find(&self, query: &Query) -> Answer {
        let email = query.get("email").map(str::trim).filter(|s| !s.is_empty());
        let phone = query
            .get("phone_number")
            .map(str::trim)
            .filter(|s| !s.is_empty());
        if email.is_none() && phone.is_none() {
            return Answer::bad_request(
                "Missing search parameters",
                "Provide email or phone_number".to_owned(),
            );
        }
        let mut errors = Vec::new();
        // The messages name the parameter, never its value (personal data).
        if let Some(email) = email {
            if !meets_rule("ContactFields", "email", email) {
                errors.push("Invalid email format".to_owned());
            }
        }
        let phone = match phone.map(|p| (p, normalize_phone(p))) {
            Some((_, None)) => {
                errors.push("Invalid phone number format".to_owned());
                None
            }
            Some((_, normalized)) => normalized,
            None => None,
        };
        if !errors.is_empty() {
            return Answer::validation("Invalid search parameters", errors);
        }
        let email = email.map(str::to_lowercase);
        let hit = self
            .index
            .first(email.as_deref(), phone.as_deref())
            .and_then(|id| self.contacts.get(&id));
        match hit {
            Some(record) => Answer::ok(StatusCode::OK, record.wire()),
            None => Answer::ok(StatusCode::OK, json!({ "contact": null })),
        }
    }

    /// `GET /contacts/{id}`.
    pub(super) fn get(&self, id: &str) -> Answer {
        match parse_contact_id(id).and_then(|id| self.contacts.get(&id)) {
            Some(record) => Answer::ok(StatusCode::OK, json!({ "data": record.wire() })),
            None => Answer::not_found(),
        }
    }

    /// `PUT` and `PATCH /contacts/{id}`: only the fields sent change.
    pub(super) fn update(&mut self, id: &str, body: &[u8], now: DateTime<Utc>) -> Answer {
        // Like Linq, a body that is not JSON is refused before the contact is looked up, and
        // an unknown contact is reported before the body is validated.
        if let Err(answer) = parse_body(body) {
            return answer;
        }
        let Some(id) = parse_contact_id(id).filter(|id| self.contacts.contains_key(id)) else {
            return Answer::not_found();
        };
        let changes = match self.parse_changes(body) {
            Ok(changes) => changes,
            Err(answer) => return answer,
        };
        let Some(record) = self.contacts.get(&id) else {
            return Answer::not_found();
        };
        let mut fields = record.fields.clone();
        for (slot, change) in fields.iter_mut().zip(changes.fields) {
            if let Some(value) = change {
                *slot = value;
            }
        }
        if let Some(answer) = self.duplicate(&fields, Some(id)) {
            return answer;
        }
        let Some(record) = self.contacts.get_mut(&id) else {
            return Answer::not_found();
        };
        self.index.remove(id, &record.fields);
        self.index.add(id, &fields);
        record.fields = fields;
        if let Some(owner) = changes.owner {
            record.owner = Some(owner);
        }
        record.updated_at = now.max(record.created_at);
        Answer::ok(StatusCode::OK, json!({ "data": record.wire() }))
    }

    /// `DELETE /contacts/{id}`.
    pub(super) fn delete(&mut self, id: &str) -> Answer {
        match parse_contact_id(id).and_then(|id| self.contacts.remove(&id)) {
            Some(record) => {
                self.index.remove(record.id, &record.fields);
                Answer::empty(StatusCode::NO_CONTENT)
            }
            None => Answer::not_found(),
        }
    }

    /// Under [`Duplicates::Reject`] or [`Duplicates::Conflict`], the refusal of a contact whose
    /// email (case-insensitively) or phone number (normalised) another contact than `except`
    /// already has. The errors name the field, never the value.
    fn duplicate(
        &self,
        fields: &[Option<String>; 7],
        except: Option<NonZeroU64>,
    ) -> Option<Answer> {
        if self.duplicates == Duplicates::Allow {
            return None;
        }
        let mut errors = Vec::new();
        let email = Index::email_key(fields);
        if Index::taken(&self.index.by_email, email.as_deref(), except) {
            errors.push("Email has already been taken".to_owned());
        }
        let phone = Index::phone_key(fields);
        if Index::taken(&self.index.by_phone, phone.as_deref(), except) {
            errors.push("Phone number has already been taken".to_owned());
        }
        if errors.is_empty() {
            return None;
        }
        Some(match self.duplicates {
            Duplicates::Conflict => Answer::standard_error(
                StatusCode::CONFLICT,
                "DUPLICATE_CONTACT",
                "Contact already exists",
                errors,
            ),
            _ => Answer::validation("Contact validation failed", errors),
        })
    }

    /// Parses and validates a `ContactInput` body.
    fn parse_changes(&self, body: &[u8]) -> Result<Changes, Answer> {
        let top = parse_body(body)?;
        let Some(Value::Object(contact)) = top.get("contact") else {
            return Err(Answer::bad_request(
                "Invalid request body",
                "param is missing or the value is empty: contact".to_owned(),
            ));
        };

        let mut fields: [Option<Option<String>>; 7] = Default::default();
        let mut errors = Vec::new();
        for (slot, name) in fields.iter_mut().zip(FIELDS) {
            match contact.get(name) {
                None => {}
                // `null` too is refused: the spec types every field as a string, not nullable.
                Some(Value::String(value)) => *slot = Some(Some(value.clone())),
                Some(_) => errors.push(format!("{name} must be a string")),
            }
        }
        // The spec types `user_email` as a string, not nullable: a `null` is refused like a
        // number would be (schemathesis checks that schema-violating bodies are rejected).
        let user_email = match top.get("user_email") {
            None => None,
            Some(Value::String(email)) if !meets_rule("ContactInput", "user_email", email) => {
                errors.push("user_email is invalid".to_owned());
                None
            }
            Some(Value::String(email)) => Some(email.trim()).filter(|e| !e.is_empty()),
            Some(_) => {
                errors.push("user_email must be a string".to_owned());
                None
            }
        };
        if !errors.is_empty() {
            return Err(Answer::validation("Contact validation failed", errors));
        }

        let filled = |slot: &Option<Option<String>>| {
            slot.as_ref()
                .and_then(Option::as_deref)
                .is_some_and(|v| !v.trim().is_empty())
        };
        if !fields[IDENTITY].iter().any(filled) {
            return Err(Answer::validation(
                "Contact validation failed",
                vec![AT_LEAST_ONE.to_owned()],
            ));
        }

        // The spec's rules for every field (length, shape, no control characters): the client's
        // own, from the same table.
        for (name, slot) in FIELDS.iter().zip(&fields) {
            if let Some(Some(value)) = slot {
                if !meets_rule("ContactFields", name, value) {
                    errors.push(format!("{} is invalid", field_label(name)));
                }
            }
        }
        if !errors.is_empty() {
            return Err(Answer::validation("Contact validation failed", errors));
        }
        if let Some(Some(phone)) = &fields[PHONE] {
            if phone.trim().is_empty() {
                fields[PHONE] = Some(None);
            } else {
                match normalize_phone(phone) {
                    Some(normalized) => fields[PHONE] = Some(Some(normalized)),
                    None => errors.push("Phone number is invalid".to_owned()),
                }
            }
        }
        if !errors.is_empty() {
            return Err(Answer::validation("Contact validation failed", errors));
        }

        let owner = match user_email {
            None => None,
            Some(email) => match self.user(email) {
                Some(user) => Some(user.clone()),
                None => {
                    return Err(Answer::validation(
                        "User not found",
                        // Never the address itself: error texts end up in logs.
                        vec!["No user with that email exists in your organization".to_owned()],
                    ));
                }
            },
        };
        Ok(Changes { fields, owner })
    }
}

/// Parses a body that must be a JSON object.
fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Answer> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(top)) => Ok(top),
        Ok(_) => Err(Answer::bad_request(
            "Invalid request body",
            "The request body must be a JSON object".to_owned(),
        )),
        Err(error) => Err(Answer::bad_request(
            "Invalid request body",
            format!("The request body is not valid JSON: {error}"),
        )),
    }
}

/// An id from the path (a contact's, a webhook subscription's): digits only, at least 1.
pub(super) fn parse_id(raw: &str) -> Option<i64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>().ok().filter(|&id| id >= 1)
}

/// A contact id from the path, as [`parse_id`] reads it.
fn parse_contact_id(raw: &str) -> Option<NonZeroU64> {
    parse_id(raw)
        .and_then(|id| u64::try_from(id).ok())
        .and_then(NonZeroU64::new)
}

/// `Ok(None)` when absent or empty, `Ok(Some(n))` for an integer in `min..=max`, `Err` else.
fn parse_bound(raw: Option<&str>, min: i64, max: i64) -> Result<Option<i64>, ()> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(()),
        },
    }
}

/// Whether `value` meets the spec's rule for `schema.field` (`maxLength`, `pattern`), as
/// `linq_api::rules` reads it: the same table the client validates with.
fn meets_rule(schema: &str, field: &str, value: &str) -> bool {
    linq_api::rules::rule(schema, field).is_none_or(|rule| rule.check(value).is_ok())
}

/// `first_name` as a message says it: `First name`.
fn field_label(field: &str) -> String {
    let text = field.replace('_', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Normalises a phone number to E.164 as far as it can, or `None` when it breaks the spec's
/// rule for phone numbers (4 to 15 digits, an optional leading `+`, separators).
///
/// Spaces, dashes, dots, slashes and parentheses are dropped. With a leading `+` the number is
/// international: `+` and its digits. Without one, 10 digits get `+1` (the fake assumes the
/// North American plan, as the docs' examples do) and 11 digits starting with 1 get a `+`
/// (when the area code can be one, 2 to 9);
/// any other number the rule allows (`030/1234567`) is kept as its digits, since its country
/// is unknown.
pub(super) fn normalize_phone(raw: &str) -> Option<String> {
    if !meets_rule("ContactFields", "phone_number", raw) || raw.trim().is_empty() {
        return None;
    }
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    Some(if raw.trim_start().starts_with('+') || raw.contains('+') {
        format!("+{digits}")
    } else {
        // A North American area code starts with 2 to 9.
        let area_code_at = |i: usize| digits.as_bytes().get(i).is_some_and(|d| *d >= b'2');
        match digits.len() {
            10 if area_code_at(0) => format!("+1{digits}"),
            11 if digits.starts_with('1') && area_code_at(1) => format!("+{digits}"),
            _ => digits,
        }
    })
}

/// A parsed query string: the last value of each name wins.
#[derive(Debug, Default)]
pub(super) struct Query(BTreeMap<String, String>);

impl Query {
    pub(super) fn parse(raw: Option<&str>) -> Query {
        let pairs = url::form_urlencoded::parse(raw.unwrap_or("").as_bytes());
        Query(pairs.into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// The writable fields of a generated `ContactFields`, in the order of [`FIELDS`].
pub(super) fn fields_of(fields: linq_api::types::ContactFields) -> [Option<String>; 7] {
    // Named exhaustively: a field the spec adds stops this compiling, so the fake (and
    // `FIELDS`) cannot fall behind the spec unnoticed.
    let linq_api::types::ContactFields {
        company,
        email,
        first_name,
        last_name,
        location,
        phone_number,
        title,
    } = fields;
    [
        first_name,
        last_name,
        email,
        phone_number,
        company,
        title,
        location,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_normalise_to_e164() {
        for raw in [
            "(555) 123-4567",
            "555-123-4567",
            "+15551234567",
            "5551234567",
            "1 555 123 4567",
            "555.123.4567",
            " +1 (555) 123-4567 ",
        ] {
            assert_eq!(
                normalize_phone(raw).as_deref(),
                Some("+15551234567"),
                "{raw}"
            );
        }
        assert_eq!(
            normalize_phone("+44 20 7946 0958").as_deref(),
            Some("+442079460958")
        );
        // What the client accepts, the fake accepts: a number of unknown country keeps its
        // digits.
        assert_eq!(
            normalize_phone("030/1234567").as_deref(),
            Some("0301234567")
        );
        assert_eq!(normalize_phone("555-1234").as_deref(), Some("5551234"));
        for raw in [
            "",
            "call me",
            "123",
            "555x1234567",
            "++15551234567",
            "+1 555 123 4567 8901 234",
        ] {
            assert_eq!(normalize_phone(raw), None, "{raw}");
        }
    }

    #[test]
    fn ids_are_positive_integers_only() {
        assert_eq!(parse_id("1"), Some(1));
        for raw in [
            "",
            "0",
            "-1",
            "+1",
            "abc",
            "1.0",
            "99999999999999999999",
            "find",
        ] {
            assert_eq!(parse_id(raw), None, "{raw}");
        }
    }
}
