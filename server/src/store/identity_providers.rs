//! `identity_providers`, `federated_identities`, `broker_tokens`: upstream providers, the links
//! between local users and upstream accounts, and the upstream tokens kept for apps.

use super::Executes;
use crate::on;

/// A stored upstream provider (its secret sealed, never in the clear).
#[derive(Clone, sqlx::FromRow)]
pub struct IdpRow {
    pub id: String,
    pub realm_id: String,
    pub alias: String,
    pub display_name: String,
    /// `oidc` or `oauth2`.
    pub kind: String,
    pub enabled: bool,
    pub discovery_url: Option<String>,
    pub issuer: Option<String>,
    pub authorization_url: String,
    pub token_url: String,
    pub userinfo_url: Option<String>,
    pub jwks_url: Option<String>,
    pub client_id: String,
    pub client_secret_sealed: Option<String>,
    pub client_auth_method: String,
    pub scopes: String,
    pub pkce: bool,
    pub username_claim: String,
    pub email_claim: String,
    pub name_claim: String,
    pub store_tokens: bool,
    pub trust_email: bool,
    pub gui_order: i64,
    /// `on`, `missing` or `off`: when a first sign-in shows the upstream profile for review.
    pub first_login_review: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for IdpRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdpRow").field("alias", &self.alias).field("kind", &self.kind).finish_non_exhaustive()
    }
}

const COLUMNS: &str = "id, realm_id, alias, display_name, kind, enabled, discovery_url, issuer, authorization_url, \
                       token_url, userinfo_url, jwks_url, client_id, client_secret_sealed, client_auth_method, scopes, \
                       pkce, username_claim, email_claim, name_claim, store_tokens, trust_email, gui_order, \
                       first_login_review, created_at, updated_at";

/// Inserts a provider; `false` when the realm already has one with its alias.
pub async fn insert(c: &mut impl Executes, p: &IdpRow) -> sqlx::Result<bool> {
    let sql = format!(
        "INSERT INTO identity_providers ({COLUMNS}) VALUES \
         ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26) \
         ON CONFLICT (realm_id, alias) DO NOTHING"
    );
    on!(c, e => sqlx::query(&sql)
        .bind(&p.id).bind(&p.realm_id).bind(&p.alias).bind(&p.display_name).bind(&p.kind).bind(p.enabled)
        .bind(&p.discovery_url).bind(&p.issuer).bind(&p.authorization_url).bind(&p.token_url)
        .bind(&p.userinfo_url).bind(&p.jwks_url).bind(&p.client_id).bind(&p.client_secret_sealed)
        .bind(&p.client_auth_method).bind(&p.scopes).bind(p.pkce).bind(&p.username_claim).bind(&p.email_claim)
        .bind(&p.name_claim).bind(p.store_tokens).bind(p.trust_email).bind(p.gui_order).bind(&p.first_login_review)
        .bind(p.created_at).bind(p.updated_at)
        .execute(e).await.map(|r| r.rows_affected() == 1))
}

/// Writes every setting of `p` (found by its id; the alias may change).
pub async fn update(c: &mut impl Executes, p: &IdpRow) -> sqlx::Result<()> {
    const SQL: &str = "UPDATE identity_providers SET alias = $2, display_name = $3, kind = $4, enabled = $5, \
                       discovery_url = $6, issuer = $7, authorization_url = $8, token_url = $9, userinfo_url = $10, \
                       jwks_url = $11, client_id = $12, client_secret_sealed = $13, client_auth_method = $14, \
                       scopes = $15, pkce = $16, username_claim = $17, email_claim = $18, name_claim = $19, \
                       store_tokens = $20, trust_email = $21, gui_order = $22, updated_at = $23, \
                       first_login_review = $24 WHERE id = $1";
    on!(c, e => sqlx::query(SQL)
        .bind(&p.id).bind(&p.alias).bind(&p.display_name).bind(&p.kind).bind(p.enabled).bind(&p.discovery_url)
        .bind(&p.issuer).bind(&p.authorization_url).bind(&p.token_url).bind(&p.userinfo_url).bind(&p.jwks_url)
        .bind(&p.client_id).bind(&p.client_secret_sealed).bind(&p.client_auth_method).bind(&p.scopes)
        .bind(p.pkce).bind(&p.username_claim).bind(&p.email_claim).bind(&p.name_claim).bind(p.store_tokens)
        .bind(p.trust_email).bind(p.gui_order).bind(p.updated_at).bind(&p.first_login_review)
        .execute(e).await.map(|_| ()))
}

/// The realm's provider called `alias`.
pub async fn by_alias(c: &mut impl Executes, realm_id: &str, alias: &str) -> sqlx::Result<Option<IdpRow>> {
    let sql = format!("SELECT {COLUMNS} FROM identity_providers WHERE realm_id = $1 AND alias = $2");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).bind(alias).fetch_optional(e).await)
}

/// The provider with row id `id`.
pub async fn by_id(c: &mut impl Executes, id: &str) -> sqlx::Result<Option<IdpRow>> {
    let sql = format!("SELECT {COLUMNS} FROM identity_providers WHERE id = $1");
    on!(c, e => sqlx::query_as(&sql).bind(id).fetch_optional(e).await)
}

/// The realm's providers in sign-in page order (`gui_order`, then alias).
pub async fn list(c: &mut impl Executes, realm_id: &str) -> sqlx::Result<Vec<IdpRow>> {
    let sql = format!("SELECT {COLUMNS} FROM identity_providers WHERE realm_id = $1 ORDER BY gui_order, alias");
    on!(c, e => sqlx::query_as(&sql).bind(realm_id).fetch_all(e).await)
}

/// Deletes a provider with its links and stored tokens; `false` when there was none.
pub async fn delete(c: &mut impl Executes, id: &str) -> sqlx::Result<bool> {
    on!(c, e => {
        sqlx::query("DELETE FROM broker_tokens WHERE provider_pk = $1").bind(id).execute(&mut *e).await?;
        sqlx::query("DELETE FROM federated_identities WHERE provider_pk = $1").bind(id).execute(&mut *e).await?;
        let r = sqlx::query("DELETE FROM identity_providers WHERE id = $1").bind(id).execute(&mut *e).await?;
        Ok(r.rows_affected() == 1)
    })
}

/// A link between a local user and an upstream account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub provider_pk: String,
    pub subject: String,
    pub user_id: String,
    /// The upstream username at the last sign-in.
    pub username: String,
    pub linked_at: i64,
}

/// Links `l.user_id` to the upstream account; `false` when the account or the user is already
/// linked (to someone else, or to another account of this provider).
pub async fn link(c: &mut impl Executes, l: &LinkRow) -> sqlx::Result<bool> {
    const SQL: &str = "INSERT INTO federated_identities (provider_pk, subject, user_id, username, linked_at) \
                       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";
    on!(c, e => sqlx::query(SQL).bind(&l.provider_pk).bind(&l.subject).bind(&l.user_id).bind(&l.username)
        .bind(l.linked_at).execute(e).await.map(|r| r.rows_affected() == 1))
}

/// The link of the upstream account `subject`.
pub async fn link_by_subject(c: &mut impl Executes, provider_pk: &str, subject: &str) -> sqlx::Result<Option<LinkRow>> {
    const SQL: &str = "SELECT provider_pk, subject, user_id, username, linked_at FROM federated_identities \
                       WHERE provider_pk = $1 AND subject = $2";
    on!(c, e => sqlx::query_as(SQL).bind(provider_pk).bind(subject).fetch_optional(e).await)
}

/// A user's links with their providers' aliases, by alias.
pub async fn links_of_user(c: &mut impl Executes, user_id: &str) -> sqlx::Result<Vec<(String, LinkRow)>> {
    const SQL: &str = "SELECT p.alias, f.provider_pk, f.subject, f.user_id, f.username, f.linked_at \
                       FROM federated_identities f JOIN identity_providers p ON p.id = f.provider_pk \
                       WHERE f.user_id = $1 ORDER BY p.alias";
    #[derive(sqlx::FromRow)]
    struct Row {
        alias: String,
        #[sqlx(flatten)]
        link: LinkRow,
    }
    let rows: Vec<Row> = on!(c, e => sqlx::query_as(SQL).bind(user_id).fetch_all(e).await)?;
    Ok(rows.into_iter().map(|r| (r.alias, r.link)).collect())
}

/// Removes a user's link to a provider and the tokens kept through it; `false` when none.
pub async fn unlink(c: &mut impl Executes, user_id: &str, provider_pk: &str) -> sqlx::Result<bool> {
    on!(c, e => {
        sqlx::query("DELETE FROM broker_tokens WHERE user_id = $1 AND provider_pk = $2")
            .bind(user_id).bind(provider_pk).execute(&mut *e).await?;
        let r = sqlx::query("DELETE FROM federated_identities WHERE user_id = $1 AND provider_pk = $2")
            .bind(user_id).bind(provider_pk).execute(&mut *e).await?;
        Ok(r.rows_affected() == 1)
    })
}

/// A user's upstream tokens, sealed (also kept so in a browser session while a first sign-in's
/// profile is reviewed).
#[derive(Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct BrokerTokenRow {
    pub user_id: String,
    pub provider_pk: String,
    pub access_sealed: String,
    pub refresh_sealed: Option<String>,
    pub token_type: String,
    pub scope: Option<String>,
    pub expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    pub updated_at: i64,
}

impl std::fmt::Debug for BrokerTokenRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerTokenRow").field("user_id", &self.user_id).field("expires_at", &self.expires_at).finish()
    }
}

const TOKEN_COLUMNS: &str = "user_id, provider_pk, access_sealed, refresh_sealed, token_type, scope, expires_at, \
                             refresh_expires_at, updated_at";

/// Stores (or replaces) a user's upstream tokens.
pub async fn put_tokens(c: &mut impl Executes, t: &BrokerTokenRow) -> sqlx::Result<()> {
    let sql = format!(
        "INSERT INTO broker_tokens ({TOKEN_COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) \
         ON CONFLICT (user_id, provider_pk) DO UPDATE SET access_sealed = excluded.access_sealed, \
         refresh_sealed = excluded.refresh_sealed, token_type = excluded.token_type, scope = excluded.scope, \
         expires_at = excluded.expires_at, refresh_expires_at = excluded.refresh_expires_at, \
         updated_at = excluded.updated_at"
    );
    on!(c, e => sqlx::query(&sql)
        .bind(&t.user_id).bind(&t.provider_pk).bind(&t.access_sealed).bind(&t.refresh_sealed).bind(&t.token_type)
        .bind(&t.scope).bind(t.expires_at).bind(t.refresh_expires_at).bind(t.updated_at)
        .execute(e).await.map(|_| ()))
}

/// A user's upstream tokens from a provider.
pub async fn tokens(c: &mut impl Executes, user_id: &str, provider_pk: &str) -> sqlx::Result<Option<BrokerTokenRow>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM broker_tokens WHERE user_id = $1 AND provider_pk = $2");
    on!(c, e => sqlx::query_as(&sql).bind(user_id).bind(provider_pk).fetch_optional(e).await)
}

/// Up to `limit` stored tokens that expire before `before` and can be refreshed.
pub async fn due_for_refresh(c: &mut impl Executes, before: i64, limit: i64) -> sqlx::Result<Vec<BrokerTokenRow>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM broker_tokens WHERE expires_at < $1 AND refresh_sealed IS NOT NULL \
         ORDER BY expires_at LIMIT $2"
    );
    on!(c, e => sqlx::query_as(&sql).bind(before).bind(limit).fetch_all(e).await)
}
