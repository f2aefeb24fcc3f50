//! libdynagate.so: the cdylib Envoy loads; registration of filters and loggers by name
