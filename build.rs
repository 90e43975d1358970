//! One name for where task dumps are built in, so the code says
//! `#[cfg(taskdumps)]` instead of the platform list each time.
//! (`cfg(tokio_unstable)` is the flag tokio reads; a program that embeds
//! looptop may build without it.)

fn main() {
    println!("cargo::rustc-check-cfg=cfg(taskdumps)");
    println!("cargo::rustc-check-cfg=cfg(looptop_no_taskdump)");
    println!("cargo::rustc-check-cfg=cfg(tokio_unstable)");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    // tokio takes task dumps on Linux for these architectures (Cargo.toml
    // turns its `taskdump` feature on for the same targets), unless
    // `--cfg looptop_no_taskdump` leaves them out.
    let linux = var("CARGO_CFG_TARGET_OS") == "linux";
    let arch =
        ["x86", "x86_64", "aarch64", "s390x"].contains(&var("CARGO_CFG_TARGET_ARCH").as_str());
    let left_out = std::env::var_os("CARGO_CFG_LOOPTOP_NO_TASKDUMP").is_some();
    // `Handle::dump` is tokio's unstable API.
    let unstable = std::env::var_os("CARGO_CFG_TOKIO_UNSTABLE").is_some();
    if linux && arch && unstable && !left_out {
        println!("cargo::rustc-cfg=taskdumps");
    }
}
