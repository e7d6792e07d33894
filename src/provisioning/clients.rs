//! Provisioning clients: the school's systems (its identity provider's SCIM, its timetable)
//! that create people and lessons here, each holding one bearer token. Only the token's SHA-256
//! is stored (`provisioning_clients`), and it is computed here, before any statement: the
//! database is only ever sent the digest ([`TokenDigest`]), so the token never crosses the
//! database connection nor lands in PostgreSQL's statement log (`DETAIL: parameters`) or
//! `pg_stat_activity`. (The digest of the token's UTF-8 bytes, as PostgreSQL's
//! `sha256(convert_to(token, 'UTF8'))` computed it before: the stored digests stay valid.) Managed by `tutorchat provisioning-client create | rotate | revoke |
//! list` on the schema owner's connection (the replicas may only read the table).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio_postgres::GenericClient;

/// The SHA-256 of a provisioning token, which is all a statement may carry of it: the lookup
/// takes this type, so the token itself cannot be passed to the database by mistake.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// The digest of `token`'s UTF-8 bytes.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// The digest, as the `bytea` parameter of a statement.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Never the digest itself in a log line: it identifies the client's token.
impl std::fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenDigest(..)")
    }
}

/// What a provisioning client may call: `scim` (`/scim/v2`: people and guardians), `lessons`
/// (the integration API and its import).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Scim,
    Lessons,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scim => "scim",
            Self::Lessons => "lessons",
        }
    }

    /// `scim` or `lessons`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "scim" => Some(Self::Scim),
            "lessons" => Some(Self::Lessons),
            _ => None,
        }
    }
}

/// A provisioning client that presented a valid token: what its events name (`client`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningClient {
    pub id: i64,
    pub name: String,
}

/// Whose token a request presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// No client has it (never issued, or replaced by a rotation).
    Unknown,
    /// The client was revoked.
    Revoked,
    Valid {
        client: ProvisioningClient,
        scopes: Vec<String>,
    },
}

/// A row of `tutorchat provisioning-client list`.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    pub rotated_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// A new token: 32 random bytes, URL-safe, prefixed so a leaked one is recognisable.
fn new_token() -> String {
    format!("tcp_{}", URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>()))
}

/// Creates client `name` with `scopes` and returns its token (shown once, stored nowhere).
pub async fn create(db: &impl GenericClient, name: &str, scopes: &[Scope]) -> anyhow::Result<String> {
    const SQL: &str = "INSERT INTO provisioning_clients (name, token_sha256, scopes)
                       VALUES ($1, $2, $3)";
    let token = new_token();
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    db.execute(SQL, &[&name, &TokenDigest::of(&token).as_bytes(), &scopes]).await.map_err(|e| {
        match e.as_db_error().and_then(|d| d.constraint()) {
            Some("provisioning_clients_name_key") => {
                anyhow::anyhow!("a provisioning client named {name} exists already")
            }
            Some("provisioning_clients_name_check") => {
                anyhow::anyhow!("a client's name is 1-63 letters, digits, dots, dashes or underscores")
            }
            Some("provisioning_clients_scopes_check") => anyhow::anyhow!("scopes are scim and/or lessons"),
            _ => e.into(),
        }
    })?;
    Ok(token)
}

/// Gives client `name` a new token (returned) and makes the old one stop working; a revoked
/// client stays revoked.
pub async fn rotate(db: &impl GenericClient, name: &str) -> anyhow::Result<String> {
    const SQL: &str = "UPDATE provisioning_clients SET token_sha256 = $2, rotated_at = now()
                       WHERE name = $1 AND revoked_at IS NULL";
    let token = new_token();
    match db.execute(SQL, &[&name, &TokenDigest::of(&token).as_bytes()]).await? {
        0 => anyhow::bail!("no provisioning client {name} that is not revoked"),
        _ => Ok(token),
    }
}

/// Revokes client `name`: its token is refused from now on (for good).
pub async fn revoke(db: &impl GenericClient, name: &str) -> anyhow::Result<()> {
    const SQL: &str = "UPDATE provisioning_clients SET revoked_at = coalesce(revoked_at, now()) WHERE name = $1";
    match db.execute(SQL, &[&name]).await? {
        0 => anyhow::bail!("no provisioning client {name}"),
        _ => Ok(()),
    }
}

/// Every client, by name.
pub async fn list(db: &impl GenericClient) -> anyhow::Result<Vec<Listed>> {
    const SQL: &str = "SELECT name, scopes, created_at, rotated_at, revoked_at FROM provisioning_clients ORDER BY name";
    let rows = db.query(SQL, &[]).await?;
    rows.iter()
        .map(|r| {
            Ok(Listed {
                name: r.try_get("name")?,
                scopes: r.try_get("scopes")?,
                created_at: r.try_get("created_at")?,
                rotated_at: r.try_get("rotated_at")?,
                revoked_at: r.try_get("revoked_at")?,
            })
        })
        .collect()
}

/// Whose token it is, by its digest ([`TokenDigest::of`] the presented token).
pub async fn presented(db: &impl GenericClient, token: &TokenDigest) -> Result<Presented, tokio_postgres::Error> {
    const SQL: &str = "SELECT id, name, scopes, revoked_at IS NOT NULL AS revoked FROM provisioning_clients
                       WHERE token_sha256 = $1";
    let Some(row) = db.query_opt(SQL, &[&token.as_bytes()]).await? else {
        return Ok(Presented::Unknown);
    };
    if row.try_get("revoked")? {
        return Ok(Presented::Revoked);
    }
    Ok(Presented::Valid {
        client: ProvisioningClient { id: row.try_get("id")?, name: row.try_get("name")? },
        scopes: row.try_get("scopes")?,
    })
}
