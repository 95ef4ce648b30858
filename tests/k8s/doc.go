// Package k8s verifies the Kubernetes manifests that secgen's k8s component renders into the
// goldens: strict decoding into the Kubernetes API types, the Pod Security Standards
// "restricted" profile, kube-score, Kustomize builds of every overlay, and the concrete fields
// behind the controls K8S-01 to K8S-14.
//
// The package holds tests only; it is a separate module so that the heavy Kubernetes
// dependencies never reach secgen's own module.
package k8s
