"""Request and response schemas of the API, one module per blueprint, with the field types and schemas
several share in `common`; the OpenAPI description is generated from them."""
