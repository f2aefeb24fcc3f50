//! `TrafficPolicy.spec.transformation`: the filter's own config types from `dynagate-config`, so the
//! controller emits exactly what the `transformation` filter parses (kgateway's JSON, camelCase).

pub use dynagate_config::transformation::{
    BodyParseBehavior, BodyTransformation, DynamicMetadataTransformation, DynamicMetadataValue,
    HeaderTransformation, Transform, TransformationPolicy, ValidationError,
};
