//! `token_stats`: tokens issued per realm, client, grant and minute (the dashboard's data).
//! Counted in memory on the hot path and flushed here in batches.

use super::Executes;
use crate::on;

/// Adds `n` to one counter.
pub async fn add(
    c: &mut impl Executes,
    realm_id: &str,
    client_id: &str,
    grant_type: &str,
    minute: i64,
    n: i64,
) -> sqlx::Result<()> {
    const SQL: &str = "INSERT INTO token_stats (realm_id, client_id, grant_type, minute, issued) VALUES ($1, $2, $3, $4, $5) \
                       ON CONFLICT (realm_id, client_id, grant_type, minute) DO UPDATE SET issued = token_stats.issued + excluded.issued";
    on!(c, e => sqlx::query(SQL).bind(realm_id).bind(client_id).bind(grant_type).bind(minute).bind(n).execute(e).await.map(|_| ()))
}

/// Total tokens issued in a realm since `since` (unix seconds).
pub async fn issued_since(c: &mut impl Executes, realm_id: &str, since: i64) -> sqlx::Result<i64> {
    const SQL: &str =
        "SELECT CAST(COALESCE(SUM(issued), 0) AS BIGINT) FROM token_stats WHERE realm_id = $1 AND minute >= $2";
    on!(c, e => sqlx::query_scalar::<_, i64>(SQL).bind(realm_id).bind(since / 60).fetch_one(e).await)
}

/// Tokens issued per `bucket` minutes in `[from_minute, to_minute)`, by client and grant
/// (of one client when given): `(bucket start minute, client id, grant, count)`, oldest first.
pub async fn per_bucket(
    c: &mut impl Executes,
    realm_id: &str,
    client_id: Option<&str>,
    from_minute: i64,
    to_minute: i64,
    bucket: i64,
) -> sqlx::Result<Vec<(i64, String, String, i64)>> {
    const ALL: &str = "SELECT (minute / $4) * $4 AS bucket, client_id, grant_type, CAST(SUM(issued) AS BIGINT) \
                       FROM token_stats WHERE realm_id = $1 AND minute >= $2 AND minute < $3 \
                       GROUP BY bucket, client_id, grant_type ORDER BY bucket, client_id, grant_type";
    const ONE: &str = "SELECT (minute / $4) * $4 AS bucket, client_id, grant_type, CAST(SUM(issued) AS BIGINT) \
                       FROM token_stats WHERE realm_id = $1 AND minute >= $2 AND minute < $3 AND client_id = $5 \
                       GROUP BY bucket, client_id, grant_type ORDER BY bucket, client_id, grant_type";
    let sql = if client_id.is_some() { ONE } else { ALL };
    on!(c, e => {
        let q = sqlx::query_as(sql).bind(realm_id).bind(from_minute).bind(to_minute).bind(bucket);
        match client_id {
            Some(id) => q.bind(id).fetch_all(e).await,
            None => q.fetch_all(e).await,
        }
    })
}
