//! The error body every failed request answers with.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// `{"error": {"code": "...", "message": "...", "fields": {...}?}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A snake_case code from the contract, e.g. `path_exists`.
    pub code: String,
    /// A sentence for humans; not stable.
    pub message: String,
    /// For validation errors: field name → problem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}
