//! The flash: the outcome of a console change, kept in the session until the page it leads to
//! takes it. A new client secret rides along sealed with the master key (never stored in the
//! clear, not even for the moment between the change and the page), and is gone once shown.

use crate::crypto::master_key::MasterKey;
use app::admin::Flash;
use base64::{engine::general_purpose::STANDARD_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

const KEY: &str = "console_flash";
const CONTEXT: &[u8] = b"portcullis console flash secret";

#[derive(Serialize, Deserialize)]
struct Stored {
    flash: Flash,
    sealed_secret: Option<String>,
}

/// Leaves `flash` for the next page.
pub async fn put(
    session: &Session,
    master: &MasterKey,
    mut flash: Flash,
) -> Result<(), tower_sessions::session::Error> {
    let sealed_secret = flash.secret.take().map(|s| STANDARD_NO_PAD.encode(master.seal(s.as_bytes(), CONTEXT)));
    session.insert(KEY, Stored { flash, sealed_secret }).await
}

/// Takes the flash left for this page, if any.
pub async fn take(session: &Session, master: &MasterKey) -> Result<Option<Flash>, tower_sessions::session::Error> {
    let Some(stored) = session.remove::<Stored>(KEY).await? else {
        return Ok(None);
    };
    let mut flash = stored.flash;
    flash.secret = stored
        .sealed_secret
        .and_then(|s| STANDARD_NO_PAD.decode(s).ok())
        .and_then(|s| master.open(&s, CONTEXT).ok())
        .and_then(|s| String::from_utf8(s).ok());
    Ok(Some(flash))
}
