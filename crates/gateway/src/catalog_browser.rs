//! The catalog through the management API (`GET /api/connectors…`, `GET /api/discover`): the
//! same answers the catalog tools give an agent, for people (the admin console) and scripts.
//!
//! Without `serverId` a view shows the whole catalog; with it, the catalog as that server's
//! restrictions let its agents see it (the caller must own the server), which is how an
//! operator checks what an allow list does before giving the URL out.

use std::sync::Arc;

use alloy_domain::{ApiError, Restrictions};
use alloy_storage::ServerRecord;
use chrono::Utc;
use serde_json::{Map, Value};

use crate::Gateway;
use crate::error::Error;
use crate::identity::Caller;
use crate::mcp::McpContext;
use crate::mcp::tools::answers;

/// Which catalog view a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogView {
    /// The connectors (`list_connectors_alloy`).
    Connectors,
    /// One connector's resources and actions (`get_connector_resources_alloy`).
    Connector(String),
    /// One action's parameters (`get_action_details_alloy`).
    Action {
        /// The connector.
        connector_id: String,
        /// The action.
        action_id: String,
    },
    /// Actions ranked for a goal (`discover_action_path_alloy`).
    Discover,
}

/// The query parameter naming the server whose restrictions apply.
const SERVER_PARAMETER: &str = "serverId";

impl Gateway {
    /// Answers a catalog view. `query` holds the view's parameters (those of the matching tool,
    /// as text; the tool's own rules check them) and optionally `serverId`.
    pub async fn browse_catalog(
        &self,
        caller: &Caller,
        view: CatalogView,
        query: &[(String, String)],
    ) -> Result<Value, Error> {
        let mut arguments = Map::new();
        let mut server_id = None;
        for (name, value) in query {
            if name == SERVER_PARAMETER {
                server_id = Some(value.as_str());
            } else if arguments
                .insert(name.clone(), Value::String(value.clone()))
                .is_some()
            {
                return Err(ApiError::new(
                    alloy_domain::ErrorCode::InvalidRequest,
                    format!("The query parameter '{name}' must be given at most once"),
                )
                .into());
            }
        }
        let server = match server_id {
            Some(id) => Arc::new(self.servers().owned(caller, id, false).await?),
            None => Arc::new(whole_catalog(caller)),
        };
        let ctx = McpContext {
            gateway: self.clone(),
            caller: caller.clone(),
            server,
            credential_id: None,
            redirect_uri: None,
        };
        let path_argument = |arguments: &Map<String, Value>, name: &str| -> Result<(), Error> {
            if arguments.contains_key(name) {
                return Err(ApiError::new(
                    alloy_domain::ErrorCode::InvalidRequest,
                    format!("'{name}' is given by the path, not the query"),
                )
                .into());
            }
            Ok(())
        };
        let mut value = match view {
            CatalogView::Connectors => answers::list_connectors(&ctx, arguments)?,
            CatalogView::Connector(id) => {
                path_argument(&arguments, "connectorId")?;
                arguments.insert("connectorId".into(), Value::String(id));
                answers::connector_resources(&ctx, arguments)?
            }
            CatalogView::Action {
                connector_id,
                action_id,
            } => {
                path_argument(&arguments, "connectorId")?;
                path_argument(&arguments, "actionId")?;
                arguments.insert("connectorId".into(), Value::String(connector_id));
                arguments.insert("actionId".into(), Value::String(action_id));
                answers::action_details(&ctx, arguments).await?
            }
            CatalogView::Discover => answers::discover_action_path(&ctx, arguments)?,
        };
        crate::shaping::cap_arrays(&mut value);
        Ok(value)
    }
}

/// A server record standing for "no server": no restrictions, the caller's own. Never stored.
fn whole_catalog(caller: &Caller) -> ServerRecord {
    let now = Utc::now();
    ServerRecord {
        server_id: String::new(),
        account_id: caller.account_id.clone(),
        user_id: caller.user_id.clone(),
        name: String::new(),
        description: String::new(),
        mode: alloy_domain::server::MODE_CONNECTIVITY.to_owned(),
        is_public: false,
        require_user_token: false,
        restrictions: Restrictions::default(),
        access_token: String::new(),
        token_expires_at: None,
        created_at: now,
        updated_at: now,
    }
}
