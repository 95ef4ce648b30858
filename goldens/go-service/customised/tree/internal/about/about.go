// Package about describes the service.
package about

// Name is the service name.
const Name = "ledger"

// Description is the service's one-line description.
// Ledger of the shop's payments.
const Description = "Ledger of the shop's payments."
