//! Settings of single sign-on on the MCP sign-in page (`ALLOY_OIDC_*`): the operator's OpenID
//! Connect provider, and how its ID token's claims name the gateway's account and user.

use alloy_gateway::authorization::{AccountMapping, SingleSignOnSettings, provider_url_allowed};
use anyhow::{Context, bail};
use clap::Args;

/// The `ALLOY_OIDC_*` settings.
#[derive(Clone, Args)]
pub struct SingleSignOnArgs {
    /// Issuer URL of an OpenID Connect provider users may sign in with on the MCP sign-in page
    /// (its discovery document is at `<issuer>/.well-known/openid-configuration`). `https`, or
    /// `http` on a loopback host. Unset: no single sign-on.
    #[arg(long, env = "ALLOY_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// The gateway's client ID at the provider (its redirect URI there is
    /// `<ALLOY_PUBLIC_URL>/oauth/sso/callback`).
    #[arg(long, env = "ALLOY_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// The gateway's client secret at the provider.
    #[arg(long, env = "ALLOY_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,

    /// The provider's name on the sign-in button ("Sign in with …").
    #[arg(long, env = "ALLOY_OIDC_NAME", default_value = "single sign-on")]
    pub oidc_name: String,

    /// Scopes asked of the provider (`openid` is always among them).
    #[arg(
        long,
        env = "ALLOY_OIDC_SCOPES",
        default_value = "openid email profile"
    )]
    pub oidc_scopes: String,

    /// The account every user of the provider belongs to.
    #[arg(
        long,
        env = "ALLOY_OIDC_ACCOUNT",
        conflicts_with = "oidc_account_claim"
    )]
    pub oidc_account: Option<String>,

    /// Or: the ID token claim whose value is the user's account ID.
    #[arg(long, env = "ALLOY_OIDC_ACCOUNT_CLAIM")]
    pub oidc_account_claim: Option<String>,

    /// The ID token claim whose value is the gateway's user ID (`email` is taken only with
    /// `email_verified: true`; `sub` and `preferred_username` are other choices).
    #[arg(long, env = "ALLOY_OIDC_USER_CLAIM", default_value = "email")]
    pub oidc_user_claim: String,
}

impl std::fmt::Debug for SingleSignOnArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SingleSignOnArgs")
            .field("oidc_issuer", &self.oidc_issuer)
            .field("oidc_client_id", &self.oidc_client_id)
            .field(
                "oidc_client_secret",
                &self.oidc_client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("oidc_account", &self.oidc_account)
            .field("oidc_account_claim", &self.oidc_account_claim)
            .field("oidc_user_claim", &self.oidc_user_claim)
            .finish_non_exhaustive()
    }
}

impl SingleSignOnArgs {
    /// The provider's settings; `None` when no issuer is set. A partial or unusable setup stops
    /// start-up with a sentence naming the setting.
    pub fn settings(&self) -> anyhow::Result<Option<SingleSignOnSettings>> {
        let non_empty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let Some(issuer) = non_empty(&self.oidc_issuer) else {
            if non_empty(&self.oidc_client_id).is_some()
                || non_empty(&self.oidc_account).is_some()
                || non_empty(&self.oidc_account_claim).is_some()
            {
                bail!(
                    "ALLOY_OIDC_ISSUER is required for single sign-on (other ALLOY_OIDC_* settings are set)"
                );
            }
            return Ok(None);
        };
        if !provider_url_allowed(&issuer) {
            bail!("ALLOY_OIDC_ISSUER must be an https URL (or http on a loopback host): {issuer}");
        }
        let client_id = non_empty(&self.oidc_client_id)
            .context("ALLOY_OIDC_CLIENT_ID is required with ALLOY_OIDC_ISSUER")?;
        let client_secret = non_empty(&self.oidc_client_secret)
            .context("ALLOY_OIDC_CLIENT_SECRET is required with ALLOY_OIDC_ISSUER")?;
        let account = match (
            non_empty(&self.oidc_account),
            non_empty(&self.oidc_account_claim),
        ) {
            (Some(id), None) => AccountMapping::Fixed(id),
            (None, Some(claim)) => AccountMapping::Claim(claim),
            _ => bail!(
                "single sign-on needs exactly one of ALLOY_OIDC_ACCOUNT (every user in one account) \
                 and ALLOY_OIDC_ACCOUNT_CLAIM (the claim naming the account)"
            ),
        };
        let user_claim = self.oidc_user_claim.trim();
        if user_claim.is_empty() {
            bail!("ALLOY_OIDC_USER_CLAIM must name a claim");
        }
        Ok(Some(SingleSignOnSettings {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
            display_name: self.oidc_name.trim().to_owned(),
            scopes: self.oidc_scopes.clone(),
            account,
            user_claim: user_claim.to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sso: SingleSignOnArgs,
    }

    fn parse(args: &[&str]) -> anyhow::Result<Option<SingleSignOnSettings>> {
        let mut all = vec!["x"];
        all.extend_from_slice(args);
        Cli::try_parse_from(all)?.sso.settings()
    }

    #[test]
    fn a_whole_setup_or_a_sentence() {
        assert_eq!(parse(&[]).unwrap(), None);
        let ok = parse(&[
            "--oidc-issuer=https://idp.example/",
            "--oidc-client-id=gw",
            "--oidc-client-secret=s",
            "--oidc-account=acme",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(ok.issuer, "https://idp.example");
        assert_eq!(ok.account, AccountMapping::Fixed("acme".into()));
        assert_eq!(ok.user_claim, "email");
        for (args, says) in [
            (vec!["--oidc-client-id=gw"], "ALLOY_OIDC_ISSUER is required"),
            (
                vec![
                    "--oidc-issuer=http://idp.example",
                    "--oidc-client-id=gw",
                    "--oidc-client-secret=s",
                    "--oidc-account=a",
                ],
                "https",
            ),
            (
                vec![
                    "--oidc-issuer=https://idp.example",
                    "--oidc-client-secret=s",
                    "--oidc-account=a",
                ],
                "ALLOY_OIDC_CLIENT_ID",
            ),
            (
                vec![
                    "--oidc-issuer=https://idp.example",
                    "--oidc-client-id=gw",
                    "--oidc-account=a",
                ],
                "ALLOY_OIDC_CLIENT_SECRET",
            ),
            (
                vec![
                    "--oidc-issuer=https://idp.example",
                    "--oidc-client-id=gw",
                    "--oidc-client-secret=s",
                ],
                "exactly one",
            ),
        ] {
            let e = parse(&args).unwrap_err().to_string();
            assert!(e.contains(says), "{args:?}: {e}");
        }
    }
}
