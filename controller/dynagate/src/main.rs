//! The `dynagate` binary: parse the command line, hand it to the library.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    dynagate_controller::execute(dynagate_controller::Cli::parse())
}
