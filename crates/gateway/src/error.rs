//! Errors of the application layer and their reference error objects.

use alloy_domain::{ApiError, ErrorCode, FieldError};

/// A failed gateway operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A failure the client caused or may see as is (validation, auth, not found, …).
    #[error("{0}")]
    Api(ApiError),
    /// The database failed.
    #[error("storage: {0}")]
    Storage(#[from] alloy_storage::Error),
    /// Something that should not happen; the message is for logs only.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Api(ApiError::validation(e))
    }
}

impl Error {
    /// The error object the client sees. Storage and internal failures never reveal their
    /// cause; the HTTP layer logs it.
    pub fn to_api_error(&self) -> ApiError {
        match self {
            Error::Api(e) => e.clone(),
            Error::Storage(alloy_storage::Error::Duplicate("server name")) => {
                ApiError::validation(FieldError::new(
                    ErrorCode::DuplicateValue,
                    "name",
                    "unique",
                    true,
                    "A server with this name already exists for this user",
                ))
            }
            Error::Storage(alloy_storage::Error::Database(_)) => {
                ApiError::new(ErrorCode::ServiceUnavailable, "The database is unavailable")
            }
            Error::Storage(_) | Error::Internal(_) => ApiError::internal(),
        }
    }

    /// Whether this is a server-side failure worth an error log line.
    pub fn is_internal(&self) -> bool {
        !matches!(
            self,
            Error::Api(_) | Error::Storage(alloy_storage::Error::Duplicate(_))
        )
    }
}
