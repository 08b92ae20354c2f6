//! The OpenAPI 3.1 document, assembled from the models' generated JSON
//! Schemas (`#[money(json_schema)]`): a client generator gets the pattern,
//! `x-minimum`, `x-scale` of every amount from the same declaration that
//! validates it here and in the database. OpenAPI 3.1's schema dialect is
//! JSON Schema 2020-12, which is what schemars writes, so the schemas go in
//! unchanged (less their `$schema` line).

use schemars::JsonSchema;
use serde_json::{Map, Value, json};

use crate::{Account, Transfer};
use money_ledger::Entry;

/// A model's generated schema, as an OpenAPI component.
fn component<T: JsonSchema>() -> Value {
    let mut schema = schemars::schema_for!(T).to_value();
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
    }
    schema
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": reference("Problem") } }
    })
}

fn json_response(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": reference(schema) } }
    })
}

fn write_operation(summary: &str, body: &str, created: &str) -> Value {
    json!({
        "summary": summary,
        "parameters": [{
            "name": "Idempotency-Key",
            "in": "header",
            "required": true,
            "description": "A unique value per request; resubmitting the same body with the same key replays the first answer.",
            "schema": { "type": "string", "minLength": 1, "maxLength": 255 }
        }],
        "requestBody": {
            "required": true,
            "content": { "application/json": { "schema": reference(body) } }
        },
        "responses": {
            "201": json_response("Done (or replayed: `Idempotent-Replayed: true`)", created),
            "400": problem_response("Not JSON (with the position), or no Idempotency-Key"),
            "409": problem_response("The key (or the id) is already used with another body"),
            "422": problem_response("Every broken rule, whether the JSON reader, validate() or the database refused it"),
            "503": problem_response("The retry budget is spent, or the request timed out: try again after Retry-After seconds")
        }
    })
}

fn read_operation(summary: &str, schema: &str) -> Value {
    json!({
        "summary": summary,
        "parameters": [{
            "name": "id", "in": "path", "required": true,
            "schema": { "type": "integer", "format": "int64" }
        }],
        "responses": {
            "200": json_response("Found", schema),
            "400": problem_response("Not an id"),
            "404": problem_response("No such id")
        }
    })
}

/// The OpenAPI 3.1 document of the service.
pub fn document() -> Value {
    let mut schemas = Map::new();
    schemas.insert("Account".into(), component::<Account>());
    schemas.insert("Transfer".into(), component::<Transfer>());
    schemas.insert("Entry".into(), component::<Entry>());
    let amount = |scale: u32| json!({ "type": "string", "description": format!("An exact decimal, {scale} digits after the point") });
    schemas.insert(
        "Conversion".into(),
        json!({
            "type": "object",
            "required": ["rate_id", "rate", "rate_as_of", "priced_at", "source_amount",
                "exact_amount", "booked_amount", "rounding_difference"],
            "properties": {
                "rate_id": { "type": "integer", "format": "int64" },
                "rate": amount(8),
                "rate_as_of": { "type": "string", "format": "date-time" },
                "priced_at": { "type": "string", "format": "date-time" },
                "source_amount": amount(4),
                "exact_amount": amount(12),
                "booked_amount": amount(4),
                "rounding_difference": amount(12)
            }
        }),
    );
    schemas.insert(
        "Receipt".into(),
        json!({
            "type": "object",
            "required": ["transfer", "entries"],
            "properties": {
                "transfer": reference("Transfer"),
                "entries": { "type": "array", "items": reference("Entry") },
                "conversion": reference("Conversion")
            }
        }),
    );
    schemas.insert(
        "Problem".into(),
        json!({
            "type": "object",
            "description": "RFC 9457 problem details",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": { "type": "string", "format": "uri-reference" },
                "title": { "type": "string" },
                "status": { "type": "integer" },
                "detail": { "type": "string" },
                "retry_after": { "type": "integer", "minimum": 0 },
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "rule", "detail"],
                        "properties": {
                            "field": { "type": "string" },
                            "rule": { "type": "string" },
                            "limit": { "type": "string" },
                            "value": { "type": "string" },
                            "constraint": { "type": "string" },
                            "detail": { "type": "string" }
                        }
                    }
                }
            }
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "money-ledger-api",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "A double-entry ledger over HTTP. Amounts are JSON strings, never numbers."
        },
        "paths": {
            "/accounts": { "post": write_operation("Open an account", "Account", "Account") },
            "/accounts/{id}": { "get": read_operation("An account and its balance", "Account") },
            "/transfers": { "post": write_operation("Transfer between two accounts of one currency", "Transfer", "Receipt") },
            "/transfers/{id}": { "get": read_operation("A transfer's receipt", "Receipt") },
            "/fx-transfers": { "post": write_operation("Transfer across currencies at the newest fresh rate", "Transfer", "Receipt") },
            "/openapi.json": { "get": {
                "summary": "This document",
                "responses": { "200": { "description": "OpenAPI 3.1", "content": { "application/json": {} } } }
            } }
        },
        "components": { "schemas": schemas }
    })
}
