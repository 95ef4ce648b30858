// Package terraform verifies the Terraform and Terragrunt files that secgen renders: every
// golden tree under goldens/*/*/tree that holds .tf or .hcl files must parse, be canonically
// formatted, pass tfsec with zero findings and no ignores, grant no IAM wildcard, carry every
// IAM and ENC control, and hold free-text answers only as data.
package terraform
