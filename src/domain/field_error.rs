//! One invalid field of a request, named for whoever sent it.

use serde::Serialize;

/// One invalid field of a request; HTTP answers list them in a problem's `errors`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl ToString) -> Self {
        Self {
            field: field.to_owned(),
            message: message.to_string(),
        }
    }
}
