//! What deploy/ ships is tried, not only written: the systemd unit passes
//! `systemd-analyze verify`.

use crate::support::services::missing;

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let unit = include_str!("../../../deploy/parley.service");
    assert!(unit.contains("ExecStart=/opt/parley/parley "));
    // `verify` wants the binary the unit starts to exist: the one tests run.
    let unit = unit.replace("/opt/parley/parley", env!("CARGO_BIN_EXE_parley"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parley.service");
    std::fs::write(&path, unit).unwrap();
    let output = match std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
    {
        Ok(output) => output,
        Err(error) => return missing(&format!("systemd-analyze cannot run: {error}")),
    };
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    // Warnings (an unknown key, a bad value) do not fail `verify`: none may
    // name the unit.
    assert!(!said.contains("parley.service"), "{said}");
}
