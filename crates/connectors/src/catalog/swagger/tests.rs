//! Conversion of Swagger 2.0 documents: a petstore with every kind of parameter, and the
//! guesses that are reported.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::schemas::{percent_decode, rewrite_ref, unescape_pointer_token};
use super::*;
use crate::catalog::parse::parse_document;

fn petstore() -> Value {
    json!({
        "swagger": "2.0",
        "info": {"title": "Petstore", "version": "1.0.0", "x-alloy-id": "petstore"},
        "host": "petstore.example.com",
        "basePath": "/v2/",
        "schemes": ["http", "https"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "x-root-extension": {"kept": true},
        "tags": [{"name": "pet", "description": "Pets"}],
        "externalDocs": {"url": "https://docs.example.com"},
        "security": [{"api_key": []}],
        "securityDefinitions": {
            "basic_auth": {"type": "basic", "description": "user and password"},
            "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                        "x-alloy-prefix": "Token "},
            "code_auth": {"type": "oauth2", "flow": "accessCode",
                          "authorizationUrl": "https://auth.example.com/authorize",
                          "tokenUrl": "https://auth.example.com/token",
                          "scopes": {"read:pets": "read", "write:pets": "write"}},
            "implicit_auth": {"type": "oauth2", "flow": "implicit",
                              "authorizationUrl": "https://auth.example.com/authorize",
                              "scopes": {"read:pets": "read"}},
            "password_auth": {"type": "oauth2", "flow": "password",
                              "tokenUrl": "https://auth.example.com/token", "scopes": {}},
            "app_auth": {"type": "oauth2", "flow": "application",
                         "tokenUrl": "https://auth.example.com/token", "scopes": {}}
        },
        "parameters": {
            "limitParam": {"name": "limit", "in": "query", "type": "integer",
                           "format": "int32", "minimum": 1, "maximum": 100, "default": 20},
            "petBody": {"name": "body", "in": "body", "required": true,
                        "schema": {"$ref": "#/definitions/Pet"}},
            "nameField": {"name": "name", "in": "formData", "type": "string"}
        },
        "responses": {
            "NotFound": {"description": "not found", "schema": {"$ref": "#/definitions/Error"}}
        },
        "definitions": {
            "Category": {"type": "object", "properties": {
                "id": {"type": "integer", "format": "int64"}, "name": {"type": "string"}}},
            "Pet": {
                "type": "object",
                "required": ["name"],
                "discriminator": "petType",
                "properties": {
                    "name": {"type": "string"},
                    "petType": {"type": "string"},
                    "category": {"$ref": "#/definitions/Category"},
                    "tags": {"type": "array", "items": {"$ref": "#/definitions/a~1b"}},
                    "nickname": {"type": "string", "x-nullable": true},
                    "type": {"type": "string", "description": "a property named type"}
                }
            },
            "a/b": {"type": "string"},
            "Error": {"type": "object", "properties": {"message": {"type": "string"}}}
        },
        "paths": {
            "/pets": {
                "get": {
                    "operationId": "listPets",
                    "x-alloy-pagination": {"style": "cursor"},
                    "parameters": [
                        {"$ref": "#/parameters/limitParam"},
                        {"name": "tags", "in": "query", "type": "array",
                         "items": {"type": "string"}, "collectionFormat": "csv"},
                        {"name": "status", "in": "query", "type": "array",
                         "items": {"type": "string", "enum": ["available", "sold"]},
                         "collectionFormat": "multi", "x-example": ["sold"]}
                    ],
                    "responses": {
                        "200": {
                            "description": "pets",
                            "schema": {"type": "array",
                                       "items": {"$ref": "#/definitions/Pet"}},
                            "headers": {"X-Rate-Limit": {"type": "integer",
                                                         "description": "calls left"}},
                            "examples": {"application/json": [{"name": "Rex"}]}
                        },
                        "default": {"$ref": "#/responses/NotFound"}
                    }
                },
                "post": {
                    "operationId": "addPet",
                    "parameters": [{"$ref": "#/parameters/petBody"}],
                    "responses": {"201": {"description": "created"}}
                },
                "put": {
                    "operationId": "updatePet",
                    "consumes": ["application/json", "application/xml"],
                    "parameters": [{"name": "body", "in": "body", "required": true,
                                    "description": "the pet",
                                    "schema": {"$ref": "#/definitions/Pet"}}],
                    "responses": {"200": {"description": "updated"}}
                }
            },
            "/pets/{petId}": {
                "parameters": [{"name": "petId", "in": "path", "required": true,
                                "type": "integer", "format": "int64"}],
                "get": {"responses": {"404": {"$ref": "#/responses/NotFound"}}},
                "post": {
                    "operationId": "updatePetWithForm",
                    "consumes": ["application/x-www-form-urlencoded"],
                    "parameters": [
                        {"$ref": "#/parameters/nameField"},
                        {"name": "status", "in": "formData", "type": "string",
                         "required": true, "enum": ["available", "sold"],
                         "description": "new status", "x-example": "sold"}
                    ],
                    "responses": {"200": {"description": "ok"}}
                }
            },
            "/pets/{petId}/uploadImage": {
                "parameters": [
                    {"name": "petId", "in": "path", "required": true, "type": "integer"},
                    {"name": "additionalMetadata", "in": "formData", "type": "string"}
                ],
                "post": {
                    "operationId": "uploadFile",
                    "x-custom": 1,
                    "parameters": [{"name": "file", "in": "formData", "type": "file",
                                    "required": true}],
                    "responses": {"200": {"description": "ok",
                                          "schema": {"type": "file"}}}
                }
            }
        }
    })
}

#[test]
fn petstore_converts() {
    let (doc, warnings) = swagger2_to_openapi3(petstore()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc.get("swagger").is_none());
    assert_eq!(
        doc["info"],
        json!({"title": "Petstore", "version": "1.0.0", "x-alloy-id": "petstore"})
    );
    assert_eq!(
        doc["servers"],
        json!([{"url": "https://petstore.example.com/v2"},
               {"url": "http://petstore.example.com/v2"}])
    );
    assert_eq!(doc["x-root-extension"], json!({"kept": true}));
    assert_eq!(doc["tags"][0]["name"], "pet");
    assert_eq!(doc["externalDocs"]["url"], "https://docs.example.com");
    assert_eq!(doc["security"], json!([{"api_key": []}]));
    for gone in [
        "host",
        "basePath",
        "schemes",
        "consumes",
        "produces",
        "definitions",
    ] {
        assert!(doc.get(gone).is_none(), "{gone}");
    }

    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["basic_auth"],
        json!({"type": "http", "scheme": "basic", "description": "user and password"})
    );
    assert_eq!(
        schemes["api_key"],
        json!({"type": "apiKey", "in": "header", "name": "X-API-Key",
               "x-alloy-prefix": "Token "})
    );
    assert_eq!(
        schemes["code_auth"],
        json!({"type": "oauth2", "flows": {"authorizationCode": {
            "authorizationUrl": "https://auth.example.com/authorize",
            "tokenUrl": "https://auth.example.com/token",
            "scopes": {"read:pets": "read", "write:pets": "write"}}}})
    );
    assert_eq!(
        schemes["implicit_auth"]["flows"],
        json!({"implicit": {"authorizationUrl": "https://auth.example.com/authorize",
                            "scopes": {"read:pets": "read"}}})
    );
    assert_eq!(
        schemes["password_auth"]["flows"],
        json!({"password": {"tokenUrl": "https://auth.example.com/token", "scopes": {}}})
    );
    assert_eq!(
        schemes["app_auth"]["flows"],
        json!({"clientCredentials": {"tokenUrl": "https://auth.example.com/token",
                                     "scopes": {}}})
    );

    let schemas = &doc["components"]["schemas"];
    let pet = &schemas["Pet"];
    assert_eq!(pet["discriminator"], json!({"propertyName": "petType"}));
    assert_eq!(
        pet["properties"]["category"]["$ref"],
        "#/components/schemas/Category"
    );
    assert_eq!(
        pet["properties"]["tags"]["items"]["$ref"],
        "#/components/schemas/a~1b"
    );
    assert_eq!(
        pet["properties"]["nickname"],
        json!({"type": "string", "nullable": true})
    );
    assert_eq!(pet["properties"]["type"]["type"], "string");
    assert_eq!(schemas["a/b"], json!({"type": "string"}));

    let components = &doc["components"];
    assert_eq!(
        components["parameters"]["limitParam"],
        json!({"name": "limit", "in": "query", "schema": {
            "type": "integer", "format": "int32", "default": 20,
            "maximum": 100, "minimum": 1}})
    );
    assert_eq!(
        components["requestBodies"]["petBody"],
        json!({"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Pet"}}}, "required": true})
    );
    assert_eq!(
        components["responses"]["NotFound"],
        json!({"description": "not found", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}})
    );

    let pets = &doc["paths"]["/pets"];
    let list = &pets["get"];
    assert_eq!(list["x-alloy-pagination"], json!({"style": "cursor"}));
    assert_eq!(
        list["parameters"],
        json!([
            {"$ref": "#/components/parameters/limitParam"},
            {"name": "tags", "in": "query",
             "schema": {"type": "array", "items": {"type": "string"}},
             "style": "form", "explode": false},
            {"name": "status", "in": "query", "example": ["sold"], "x-example": ["sold"],
             "schema": {"type": "array",
                        "items": {"type": "string", "enum": ["available", "sold"]}},
             "style": "form", "explode": true}
        ])
    );
    assert_eq!(
        list["responses"]["200"],
        json!({
            "description": "pets",
            "headers": {"X-Rate-Limit": {"description": "calls left",
                                         "schema": {"type": "integer"}}},
            "content": {"application/json": {
                "schema": {"type": "array",
                           "items": {"$ref": "#/components/schemas/Pet"}},
                "example": [{"name": "Rex"}]}}
        })
    );
    assert_eq!(
        list["responses"]["default"]["$ref"],
        "#/components/responses/NotFound"
    );
    assert_eq!(
        pets["post"]["requestBody"],
        json!({"$ref": "#/components/requestBodies/petBody"})
    );
    assert!(pets["post"].get("parameters").is_none());
    let pet_schema = json!({"schema": {"$ref": "#/components/schemas/Pet"}});
    assert_eq!(
        pets["put"]["requestBody"],
        json!({"description": "the pet",
               "content": {"application/json": pet_schema,
                           "application/xml": pet_schema},
               "required": true})
    );
    assert!(pets["put"].get("consumes").is_none());

    let pet = &doc["paths"]["/pets/{petId}"];
    assert_eq!(
        pet["parameters"],
        json!([{"name": "petId", "in": "path", "required": true,
                "schema": {"type": "integer", "format": "int64"}}])
    );
    assert!(pet["get"].get("operationId").is_none());
    assert!(pet["get"].get("requestBody").is_none());
    assert_eq!(
        pet["post"]["requestBody"],
        json!({"content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "status": {"type": "string", "enum": ["available", "sold"],
                           "description": "new status", "x-example": "sold",
                           "example": "sold"}
            },
            "required": ["status"]}}},
            "required": true})
    );

    let upload = &doc["paths"]["/pets/{petId}/uploadImage"];
    assert_eq!(upload["parameters"].as_array().unwrap().len(), 1);
    assert_eq!(upload["parameters"][0]["name"], "petId");
    assert_eq!(upload["post"]["x-custom"], 1);
    assert_eq!(
        upload["post"]["requestBody"],
        json!({"content": {"multipart/form-data": {"schema": {
            "type": "object",
            "properties": {
                "additionalMetadata": {"type": "string"},
                "file": {"type": "string", "format": "binary"}
            },
            "required": ["file"]}}},
            "required": true})
    );
    assert_eq!(
        upload["post"]["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"type": "string", "format": "binary"})
    );
    // Global form fields are reachable as request bodies too.
    assert_eq!(
        components["requestBodies"]["nameField"]["content"][FORM_URLENCODED]["schema"]["properties"]
            ["name"],
        json!({"type": "string"})
    );
}

#[test]
fn missing_host_gives_a_relative_server_and_a_warning() {
    let (doc, warnings) = swagger2_to_openapi3(json!({
        "swagger": "2.0", "info": {"title": "t", "version": "1"},
        "basePath": "/api", "paths": {}
    }))
    .unwrap();
    assert_eq!(doc["servers"], json!([{"url": "/api"}]));
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("servers: no `host`"),
        "{warnings:?}"
    );

    let (doc, _) = swagger2_to_openapi3(json!({"swagger": "2.0", "host": "h.example"})).unwrap();
    assert_eq!(doc["servers"], json!([{"url": "https://h.example"}]));
}

#[test]
fn guesses_and_drops_are_reported() {
    let (doc, warnings) = swagger2_to_openapi3(json!({
        "swagger": "2.0", "host": "h.example",
        "paths": {"/up": {"post": {
            "consumes": ["application/x-www-form-urlencoded"],
            "parameters": [
                {"name": "f", "in": "formData", "type": "file"},
                {"name": "ids", "in": "formData", "type": "array",
                 "items": {"type": "integer"}, "collectionFormat": "pipes"},
                {"name": "q", "in": "query", "type": "array", "items": {"type": "string"},
                 "collectionFormat": "tsv"},
                {"name": "c", "in": "cookie", "type": "string"}
            ],
            "responses": {"200": {"description": "ok"}}
        }}}
    }))
    .unwrap();
    let op = &doc["paths"]["/up"]["post"];
    assert!(op["requestBody"]["content"]["multipart/form-data"].is_object());
    assert_eq!(op["parameters"].as_array().unwrap().len(), 1);
    assert_eq!(warnings.len(), 4, "{warnings:?}");
    assert!(
        warnings.iter().all(|w| w.starts_with("paths./up.post")),
        "{warnings:?}"
    );
    assert!(warnings.iter().any(|w| w.contains("tsv")), "{warnings:?}");
    assert!(
        warnings.iter().any(|w| w.contains("`cookie`")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.contains("repeated parts")),
        "{warnings:?}"
    );
}

#[test]
fn url_encoded_arrays_get_an_encoding() {
    let (doc, _) = swagger2_to_openapi3(json!({
        "swagger": "2.0", "host": "h.example",
        "paths": {"/f": {"post": {
            "parameters": [{"name": "ids", "in": "formData", "type": "array",
                            "items": {"type": "integer"}}],
            "responses": {"200": {"description": "ok"}}
        }}}
    }))
    .unwrap();
    assert_eq!(
        doc["paths"]["/f"]["post"]["requestBody"]["content"][FORM_URLENCODED]["encoding"],
        json!({"ids": {"style": "form", "explode": false}})
    );
}

#[test]
fn an_operation_form_displaces_a_path_body() {
    let (doc, warnings) = swagger2_to_openapi3(json!({
        "swagger": "2.0", "host": "h.example",
        "paths": {"/x": {
            "parameters": [{"name": "b", "in": "body", "schema": {"type": "object"}}],
            "put": {"responses": {}},
            "post": {"parameters": [{"name": "f", "in": "formData", "type": "string"}],
                     "responses": {}}
        }}
    }))
    .unwrap();
    let item = &doc["paths"]["/x"];
    assert!(item.get("parameters").is_none());
    assert_eq!(
        item["put"]["requestBody"],
        json!({"content": {"application/json": {"schema": {"type": "object"}}}})
    );
    assert!(item["post"]["requestBody"]["content"][FORM_URLENCODED].is_object());
    assert_eq!(
        warnings,
        ["paths./x.post: path-level body parameter dropped for the formData ones"]
    );
}

#[test]
fn response_examples_keep_their_media_type() {
    let (doc, warnings) = swagger2_to_openapi3(json!({
        "swagger": "2.0", "host": "h.example", "produces": ["application/json"],
        "paths": {"/x": {"get": {"responses": {
            "200": {"examples": {"text/plain": "hi"}},
            "201": {"description": "made", "schema": {"type": "string"},
                    "examples": {"application/json": "a", "text/plain": "b"}}
        }}}}
    }))
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let responses = &doc["paths"]["/x"]["get"]["responses"];
    assert_eq!(
        responses["200"],
        json!({"description": "", "content": {"text/plain": {"example": "hi"}}})
    );
    assert_eq!(
        responses["201"]["content"],
        json!({
            "application/json": {"schema": {"type": "string"}, "example": "a"},
            "text/plain": {"schema": {"type": "string"}, "example": "b"}
        })
    );
}

#[test]
fn unquoted_yaml_version_is_accepted() {
    let doc = parse_document("swagger: 2.0\nhost: h.example\npaths: {}\n", true).unwrap();
    assert!(swagger2_to_openapi3(doc).is_ok());
}

#[test]
fn non_swagger_documents_are_refused() {
    let openapi = json!({"openapi": "3.0.3", "info": {}, "paths": {}});
    let err = swagger2_to_openapi3(openapi).unwrap_err();
    assert!(err.starts_with("not a Swagger 2.0 document"), "{err}");
    assert!(swagger2_to_openapi3(json!({"swagger": "1.2"})).is_err());
    assert!(swagger2_to_openapi3(json!(["swagger", "2.0"])).is_err());
}

#[test]
fn pointer_tokens_are_decoded_only_for_lookup() {
    assert_eq!(unescape_pointer_token("a~1b~0c%20d"), "a/b~c d");
    assert_eq!(percent_decode("100%+1%zz%4"), "100%+1%zz%4");
    let body_like = HashSet::from(["x/y".to_owned()]);
    assert_eq!(
        rewrite_ref("#/parameters/x~1y", &body_like).unwrap(),
        "#/components/requestBodies/x~1y"
    );
    assert_eq!(
        rewrite_ref("#/parameters/x~0y", &body_like).unwrap(),
        "#/components/parameters/x~0y"
    );
    assert_eq!(rewrite_ref("other.yaml#/definitions/X", &body_like), None);
}
