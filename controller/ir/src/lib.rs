//! Pure translation: resources -> IR -> xDS resources and status; no kube, no tonic server
