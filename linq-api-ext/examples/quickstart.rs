//! The quickstart: find-or-create → find → update → list → delete, printed step by step.
//!
//! ```sh
//! cargo run -p linq-api-ext --example quickstart
//! ```
//!
//! Without `LINQ_INTEGRATION_TOKEN` it starts the fake Linq on 127.0.0.1 and runs against it: no
//! account, no network. With the token set it runs against `LINQ_BASE_URL` (default
//! `https://api.linqapp.com`) — it says so and asks before writing anything; pass `--yes` to
//! skip the question.

use std::io::{BufRead, Write};

use futures_util::TryStreamExt;
use linq_api_ext::{Contact, Error, LinqClient, TOKEN_ENV};
use linq_fake::FakeLinq;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the fake alive for the whole run: it stops when dropped.
    let (linq, _fake) = if std::env::var_os(TOKEN_ENV).is_some() {
        let linq = LinqClient::from_env()?;
        println!(
            "Using the real Linq at {} ({TOKEN_ENV} is set).",
            linq.base_url()
        );
        println!("This creates, updates and then deletes one contact named \"Ada Quickstart\".");
        if !confirmed()? {
            println!("Nothing was sent.");
            return Ok(());
        }
        (linq, None)
    } else {
        let fake = FakeLinq::start().await;
        println!(
            "{TOKEN_ENV} is not set: using a fake Linq at {}.",
            fake.base_url()
        );
        let linq = LinqClient::builder()
            .token(fake.token())
            .base_url(fake.base_url())
            .build()?;
        (linq, Some(fake))
    };
    let contacts = linq.contacts();

    step(
        1,
        "find or create a contact (safe to run twice: never a duplicate, even after a lost reply)",
    );
    let (ensured, meta) = contacts
        .find_or_create()
        .first_name("Ada")
        .last_name("Quickstart")
        .email("ada.quickstart@example.com")
        .phone_number("(555) 010-4242")
        .company("Analytical Engines")
        .send_with_meta()
        .await?;
    println!(
        "   {:?} in {} request(s); request id of the last: {}",
        ensured.outcome,
        meta.attempts(),
        meta.request_id().unwrap_or("none"),
    );
    let ada = ensured.contact;
    show(&ada);

    step(2, "find it by phone number, written another way");
    match contacts
        .find()
        .phone_number("+1 555-010-4242")
        .send()
        .await?
    {
        Some(found) => show(&found),
        None => println!("   not found (Linq may take a moment to index a new contact)"),
    }

    step(3, "update its title (PUT changes only the fields sent)");
    let ada = contacts
        .update(ada.id)
        .first_name("Ada")
        .title("Chief Quickstarter")
        .send()
        .await?;
    show(&ada);

    step(4, "list every contact, 100 per page");
    let all: Vec<Contact> = contacts.list().per_page(100).stream().try_collect().await?;
    println!("   {} contact(s) in the organization", all.len());
    for contact in all.iter().take(5) {
        show(contact);
    }

    step(5, "delete it");
    contacts.delete(ada.id).send().await?;
    match contacts.get(ada.id).send().await {
        Err(Error::NotFound(e)) => println!("   gone: {e}"),
        Ok(_) => println!("   still there?"),
        Err(other) => return Err(other.into()),
    }

    step(6, "bad input is refused before anything is sent");
    let refused = contacts
        .create()
        .company("No Name Inc")
        .send()
        .await
        .unwrap_err();
    println!("   {refused}");

    println!("\nDone.");
    Ok(())
}

/// Asks before writing to the real Linq, unless `--yes` was passed.
fn confirmed() -> std::io::Result<bool> {
    if std::env::args().any(|a| a == "--yes") {
        return Ok(true);
    }
    print!("Continue? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn step(n: u32, what: &str) {
    println!("\n{n}. {what}");
}

fn show(c: &Contact) {
    let field = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    println!(
        "   #{} {} <{}> {} | {} | {}",
        c.id,
        field(&c.full_name),
        field(&c.email),
        field(&c.phone_number),
        field(&c.company),
        field(&c.title),
    );
}
