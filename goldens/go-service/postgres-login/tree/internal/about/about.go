// Package about describes the service.
package about

// Name is the service name.
const Name = "notes-api"

// Description is the service's one-line description.
// Notes API with PostgreSQL and OIDC login.
const Description = "Notes API with PostgreSQL and OIDC login."
