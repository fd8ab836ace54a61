//! `get`, `find` and `delete`: one contact at a time.

use std::io::{self, BufRead, Write};

use linq_api_ext::{Contact, ContactId, LinqClient};

use crate::{
    columns::COLUMNS,
    exit::{Exit, DECLINED, FAILED, NOT_FOUND},
    Output,
};

pub async fn get(linq: &LinqClient, id: ContactId, output: Output) -> Result<(), Exit> {
    let contact = linq
        .contacts()
        .get(id)
        .send()
        .await
        .map_err(|e| Exit::call(linq, format!("get {id}"), &e))?;
    print(&contact, output)
}

pub async fn find(
    linq: &LinqClient,
    email: Option<String>,
    phone_number: Option<String>,
    output: Output,
) -> Result<(), Exit> {
    let mut find = linq.contacts().find();
    if let Some(email) = email {
        find = find.email(email);
    }
    if let Some(phone) = phone_number {
        find = find.phone_number(phone);
    }
    match find
        .send()
        .await
        .map_err(|e| Exit::call(linq, "find", &e))?
    {
        Some(contact) => print(&contact, output),
        None => Err(Exit::new(NOT_FOUND, "find: no contact matches")),
    }
}

pub async fn delete(linq: &LinqClient, id: ContactId, yes: bool) -> Result<(), Exit> {
    if !yes {
        let contact = linq
            .contacts()
            .get(id)
            .send()
            .await
            .map_err(|e| Exit::call(linq, format!("delete {id}"), &e))?;
        let name = contact.full_name.as_deref().unwrap_or("no name");
        if !confirm(&format!(
            "Delete contact {id} ({name})? This cannot be undone. [y/N] "
        )) {
            return Err(Exit::new(DECLINED, format!("contact {id} was not deleted")));
        }
    }
    linq.contacts()
        .delete(id)
        .send()
        .await
        .map_err(|e| Exit::call(linq, format!("delete {id}"), &e))?;
    eprintln!("deleted contact {id}");
    Ok(())
}

/// Asks on stderr and reads the answer from stdin; only `y` or `yes` is a yes.
fn confirm(question: &str) -> bool {
    eprint!("{question}");
    let _ = io::stderr().flush();
    let mut answer = String::new();
    match io::stdin().lock().read_line(&mut answer) {
        Ok(_) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
        Err(_) => false,
    }
}

/// The contact on stdout: pretty JSON, or a table of the CSV columns (one a line, the empty
/// ones left out).
fn print(contact: &Contact, output: Output) -> Result<(), Exit> {
    match output {
        Output::Json => {
            let json = serde_json::to_string_pretty(contact)
                .map_err(|e| Exit::new(FAILED, format!("printing the contact: {e}")))?;
            println!("{json}");
        }
        Output::Table => print!("{}", table(contact)),
    }
    Ok(())
}

fn table(contact: &Contact) -> String {
    let width = COLUMNS.iter().map(|c| c.name.len()).max().unwrap_or(0);
    COLUMNS
        .iter()
        .filter_map(|c| Some((c.name, (c.export)(contact).filter(|v| !v.is_empty())?)))
        .map(|(name, value)| format!("{name:width$}  {}\n", crate::exit::one_line(&value)))
        .collect()
}
