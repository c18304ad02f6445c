//! OpenAI-style chat requests, as the core reads and rewrites them.
//!
//! The types keep every field they do not interpret in `extra`, so a request
//! parsed, redacted and serialized again is the request the caller built, with
//! only the model name and the message texts changed.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A chat completion request body (OpenAI's `POST /v1/chat/completions` shape).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The requested model name, before resolution.
    #[serde(default)]
    pub model: String,
    /// The conversation.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Tool (function) definitions offered to the model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// The legacy output cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// The current output cap, which includes reasoning tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_completion_tokens: Option<u64>,
    /// Every other field, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One message of a chat request.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `developer`, `user`, `assistant` or `tool`.
    #[serde(default)]
    pub role: String,
    /// The participant name, billed as one extra token by OpenAI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The message content; `None` for an assistant message that only calls tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<Content>,
    /// Tool calls made by an assistant message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// Every other field, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Message content: a plain string or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// A plain string.
    Text(String),
    /// A list of parts (text, images, ...).
    Parts(Vec<ContentPart>),
}

/// One part of a multi-part message content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// A text part.
    Text {
        /// The text.
        text: String,
    },
    /// An image part.
    ImageUrl {
        /// The image reference.
        image_url: ImageUrl,
    },
    /// Any other part type, kept as given and counted as zero tokens.
    #[serde(untagged)]
    Other(Map<String, Value>),
}

/// An image reference in a content part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    /// An `https:` URL or a `data:` URL with base64 image bytes.
    pub url: String,
    /// `low`, `high` or `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Every other field, kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A tool call made by an assistant message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call id.
    #[serde(default)]
    pub id: String,
    /// The called function.
    pub function: FunctionCall,
    /// Every other field (`type`, ...), kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The function named by a tool call, with its JSON-encoded arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// The function name.
    pub name: String,
    /// The arguments as a JSON text.
    #[serde(default)]
    pub arguments: String,
}

/// A tool definition offered to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// The function definition.
    pub function: FunctionDefinition,
    /// Every other field (`type`, ...), kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A function definition: name, description and JSON Schema parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionDefinition {
    /// The function name.
    pub name: String,
    /// What the function does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A JSON Schema object for the arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Every other field (`strict`, ...), kept as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChatRequest {
    /// Parses a request from an OpenAI chat completion JSON body.
    ///
    /// The error names the JSON path that failed, never the request's text.
    pub fn from_json(json: &str) -> Result<ChatRequest> {
        let mut deserializer = serde_json::Deserializer::from_str(json);
        serde_path_error(ChatRequest::deserialize(&mut deserializer))
    }

    /// Parses a request from an already decoded JSON value.
    pub fn from_value(value: Value) -> Result<ChatRequest> {
        serde_path_error(ChatRequest::deserialize(value))
    }

    /// Returns the request as a JSON value, with every field it was parsed with.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Returns the output cap: `max_completion_tokens`, else `max_tokens`.
    pub fn output_cap(&self) -> Option<u64> {
        self.max_completion_tokens.or(self.max_tokens)
    }
}

fn serde_path_error<T, E: std::fmt::Display>(result: std::result::Result<T, E>) -> Result<T> {
    // serde_json's messages quote type names and positions but not string contents,
    // so they are safe to pass on.
    result.map_err(|error| {
        Error::invalid_request(format!(
            "not an OpenAI chat completion body ({error}); expected an object with `model` and `messages`"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_unknown_fields() {
        let json = r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi","x_custom":1}],"temperature":0.2,"max_tokens":5}"#;
        let request = ChatRequest::from_json(json).unwrap();
        let value = request.to_value();
        assert_eq!(value["temperature"], 0.2);
        assert_eq!(value["messages"][0]["x_custom"], 1);
        assert_eq!(value["max_tokens"], 5);
    }

    #[test]
    fn content_parts_parse() {
        let json = r#"{"model":"gpt-4o","messages":[{"role":"user","content":[
            {"type":"text","text":"look"},
            {"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}},
            {"type":"input_audio","input_audio":{"data":"","format":"wav"}}]}]}"#;
        let request = ChatRequest::from_json(json).unwrap();
        let Some(Content::Parts(parts)) = &request.messages[0].content else {
            panic!("expected parts");
        };
        assert!(matches!(parts[0], ContentPart::Text { .. }));
        assert!(matches!(parts[1], ContentPart::ImageUrl { .. }));
        assert!(matches!(parts[2], ContentPart::Other(_)));
    }

    #[test]
    fn malformed_body_is_invalid_request() {
        let error = ChatRequest::from_json(r#"{"messages": 3}"#).unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidRequest);
    }
}
