//! ADS server (tonic): per-node snapshots, ACK/NACK tracking
