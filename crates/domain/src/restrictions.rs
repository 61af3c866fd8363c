//! Server restrictions: allow and block lists of connectors, actions and users.
//!
//! The wire shape is the reference's (`{"connectors":{"mode","allowedIds"|"blockedIds"}, ...}`);
//! in memory each list is one [`ListRule`], so a rule can never hold both lists at once.

use serde_json::{Map, Value, json};

use crate::coerce;
use crate::error::{ErrorCode, FieldError};
use crate::ids::USER_ID_MAX_LEN;

/// Whether the list names what passes or what is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListMode {
    /// Only the listed entries pass.
    Allowlist,
    /// Every entry passes except the listed ones.
    Blocklist,
}

impl ListMode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ListMode::Allowlist => "allowlist",
            ListMode::Blocklist => "blocklist",
        }
    }
}

/// One restriction: a mode and its list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListRule {
    /// Allow or block.
    pub mode: ListMode,
    /// The listed entries.
    pub entries: Vec<String>,
}

impl ListRule {
    /// Whether an entry for which `matches` holds passes this rule.
    pub fn passes(&self, matches: impl Fn(&str) -> bool) -> bool {
        let listed = self.entries.iter().any(|e| matches(e));
        match self.mode {
            ListMode::Allowlist => listed,
            ListMode::Blocklist => !listed,
        }
    }
}

/// The three restriction kinds of a server. An absent kind restricts nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Restrictions {
    /// Connector IDs.
    pub connectors: Option<ListRule>,
    /// Action IDs, or `connectorId.actionId`.
    pub actions: Option<ListRule>,
    /// User IDs allowed to use a public server.
    pub users: Option<ListRule>,
}

/// The wire names of one restriction kind's two lists.
struct ListNames {
    allowed: &'static str,
    blocked: &'static str,
}

const ID_LISTS: ListNames = ListNames {
    allowed: "allowedIds",
    blocked: "blockedIds",
};
const ACTION_LISTS: ListNames = ListNames {
    allowed: "allowedActions",
    blocked: "blockedActions",
};

impl Restrictions {
    /// Whether any restriction is set.
    pub fn is_empty(&self) -> bool {
        self.connectors.is_none() && self.actions.is_none() && self.users.is_none()
    }

    /// Whether the connector may be used and listed.
    pub fn allows_connector(&self, connector_id: &str) -> bool {
        self.connectors
            .as_ref()
            .is_none_or(|r| r.passes(|e| e == connector_id))
    }

    /// Whether the action may be used and listed. An entry matches an action by its ID on every
    /// connector, or by `connectorId.actionId`.
    pub fn allows_action(&self, connector_id: &str, action_id: &str) -> bool {
        self.allows_connector(connector_id)
            && self.actions.as_ref().is_none_or(|r| {
                r.passes(|e| {
                    e == action_id
                        || e.strip_prefix(connector_id)
                            .and_then(|rest| rest.strip_prefix('.'))
                            .is_some_and(|a| a == action_id)
                })
            })
    }

    /// Whether the user may use the server.
    pub fn allows_user(&self, user_id: &str) -> bool {
        self.users
            .as_ref()
            .is_none_or(|r| r.passes(|e| e == user_id))
    }

    /// Parses the wire shape, checking every rule of the field-limits page: a known kind, a mode
    /// of `allowlist`/`blocklist`, only the list that belongs to the mode, non-empty entries.
    /// Errors name the field under `restrictions.`.
    pub fn from_json(value: &Value) -> Result<Self, FieldError> {
        let obj = value.as_object().ok_or_else(|| {
            FieldError::new(
                ErrorCode::InvalidFormat,
                "restrictions",
                "type",
                "object",
                "restrictions must be an object",
            )
        })?;
        let mut out = Restrictions::default();
        for key in obj.keys() {
            if !matches!(key.as_str(), "connectors" | "actions" | "users") {
                return Err(FieldError::new(
                    ErrorCode::InvalidFormat,
                    format!("restrictions.{key}"),
                    "knownKeys",
                    json!(["connectors", "actions", "users"]),
                    format!("Unknown restriction '{key}': use connectors, actions or users"),
                ));
            }
        }
        out.connectors = rule(obj, "connectors", &ID_LISTS, usize::MAX)?;
        out.actions = rule(obj, "actions", &ACTION_LISTS, usize::MAX)?;
        out.users = rule(obj, "users", &ID_LISTS, USER_ID_MAX_LEN)?;
        Ok(out)
    }

    /// The wire shape; `{}` when nothing is restricted.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        let kinds = [
            ("connectors", &self.connectors, &ID_LISTS),
            ("actions", &self.actions, &ACTION_LISTS),
            ("users", &self.users, &ID_LISTS),
        ];
        for (kind, rule, names) in kinds {
            if let Some(rule) = rule {
                let list = match rule.mode {
                    ListMode::Allowlist => names.allowed,
                    ListMode::Blocklist => names.blocked,
                };
                out.insert(
                    kind.to_owned(),
                    json!({ "mode": rule.mode.as_str(), list: rule.entries }),
                );
            }
        }
        Value::Object(out)
    }
}

fn rule(
    obj: &Map<String, Value>,
    kind: &str,
    names: &ListNames,
    max_entry_len: usize,
) -> Result<Option<ListRule>, FieldError> {
    let prefix = format!("restrictions.{kind}");
    let Some(value) = obj.get(kind) else {
        return Ok(None);
    };
    let inner = value.as_object().ok_or_else(|| {
        FieldError::new(
            ErrorCode::InvalidFormat,
            &prefix,
            "type",
            "object",
            format!("{prefix} must be an object"),
        )
    })?;
    for key in inner.keys() {
        if key != "mode" && key != names.allowed && key != names.blocked {
            return Err(FieldError::new(
                ErrorCode::InvalidFormat,
                format!("{prefix}.{key}"),
                "knownKeys",
                json!(["mode", names.allowed, names.blocked]),
                format!("Unknown field '{key}' in {prefix}"),
            ));
        }
    }
    let mode = match coerce::string(inner, "mode").map_err(|e| e.under(&prefix))? {
        None => {
            return Err(FieldError::new(
                ErrorCode::MissingRequiredField,
                format!("{prefix}.mode"),
                "required",
                true,
                format!("{prefix}.mode is required"),
            ));
        }
        Some(m) if m == "allowlist" => ListMode::Allowlist,
        Some(m) if m == "blocklist" => ListMode::Blocklist,
        Some(_) => {
            return Err(FieldError::new(
                ErrorCode::InvalidEnumValue,
                format!("{prefix}.mode"),
                "enum",
                json!(["allowlist", "blocklist"]),
                format!("{prefix}.mode must be 'allowlist' or 'blocklist'"),
            ));
        }
    };
    let (own, other) = match mode {
        ListMode::Allowlist => (names.allowed, names.blocked),
        ListMode::Blocklist => (names.blocked, names.allowed),
    };
    if inner.contains_key(other) {
        return Err(FieldError::new(
            ErrorCode::InvalidFormat,
            format!("{prefix}.{other}"),
            "modeMismatch",
            own,
            format!(
                "{prefix} in {} mode takes {own}, not {other}",
                mode.as_str()
            ),
        ));
    }
    let entries = coerce::string_list(inner, own)
        .map_err(|e| e.under(&prefix))?
        .unwrap_or_default();
    if entries.len() > crate::page::MAX_LIMIT as usize {
        return Err(FieldError::new(
            ErrorCode::ValueTooLong,
            format!("{prefix}.{own}"),
            "maxItems",
            crate::page::MAX_LIMIT,
            format!("{prefix}.{own} must not have more than 1000 entries"),
        ));
    }
    for (i, e) in entries.iter().enumerate() {
        if e.is_empty() {
            return Err(FieldError::new(
                ErrorCode::ValueTooShort,
                format!("{prefix}.{own}[{i}]"),
                "minLength",
                1,
                "Entries must be non-empty strings",
            ));
        }
        if e.chars().count() > max_entry_len {
            return Err(FieldError::new(
                ErrorCode::ValueTooLong,
                format!("{prefix}.{own}[{i}]"),
                "maxLength",
                max_entry_len,
                format!("Entries must not exceed {max_entry_len} characters"),
            ));
        }
    }
    Ok(Some(ListRule { mode, entries }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_matching() {
        let r = Restrictions::from_json(&json!({
            "connectors": {"mode": "allowlist", "allowedIds": ["slack", "hubspot"]},
            "actions": {"mode": "blocklist", "blockedActions": ["chat_delete", "hubspot.crm_delete"]},
            "users": {"mode": "blocklist", "blockedIds": ["mallory"]}
        }))
        .unwrap();
        assert!(r.allows_connector("slack"));
        assert!(!r.allows_connector("github"));
        assert!(!r.allows_action("slack", "chat_delete"));
        assert!(r.allows_action("slack", "chat_postMessage"));
        assert!(!r.allows_action("hubspot", "crm_delete"));
        assert!(r.allows_action("slack", "crm_delete"));
        assert!(
            !r.allows_action("github", "anything"),
            "blocked connector blocks its actions"
        );
        assert!(!r.allows_user("mallory") && r.allows_user("alice"));
        assert_eq!(Restrictions::from_json(&r.to_json()).unwrap(), r);
        assert_eq!(Restrictions::default().to_json(), json!({}));
        assert!(Restrictions::from_json(&json!({})).unwrap().is_empty());
    }

    #[test]
    fn refuses_bad_shapes() {
        let code = |v: Value| Restrictions::from_json(&v).unwrap_err();
        let e = code(json!({"connectors": {"mode": "allowlist", "blockedIds": ["x"]}}));
        assert_eq!(e.code, Some(ErrorCode::InvalidFormat));
        assert_eq!(e.field, "restrictions.connectors.blockedIds");
        let e = code(
            json!({"connectors": {"mode": "allowlist", "allowedIds": ["x"], "blockedIds": []}}),
        );
        assert_eq!(e.code, Some(ErrorCode::InvalidFormat));
        let e = code(json!({"users": {"mode": "sometimes"}}));
        assert_eq!(e.code, Some(ErrorCode::InvalidEnumValue));
        assert_eq!(e.field, "restrictions.users.mode");
        let e = code(json!({"actions": {"allowedActions": []}}));
        assert_eq!(e.code, Some(ErrorCode::MissingRequiredField));
        let e = code(json!({"actions": {"mode": "allowlist", "allowedIds": []}}));
        assert_eq!(e.field, "restrictions.actions.allowedIds");
        let e = code(json!({"connectors": {"mode": "allowlist", "allowedIds": "slack"}}));
        assert_eq!(e.code, Some(ErrorCode::InvalidFormat));
        let e = code(json!({"connectors": {"mode": "allowlist", "allowedIds": [""]}}));
        assert_eq!(e.code, Some(ErrorCode::ValueTooShort));
        let e = code(json!({"teams": {}}));
        assert_eq!(e.field, "restrictions.teams");
        let e = code(json!([]));
        assert_eq!(e.field, "restrictions");
    }
}
