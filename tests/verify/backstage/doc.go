// Package backstage verifies the Backstage catalog entities secgen renders:
// every golden catalog-info.yaml must validate against the entity envelope
// and Component kind schemas kept in testdata/schemas.
package backstage
