//! The Debian package from `scripts/release.sh`: installed on this machine and on a
//! minimal Debian without any toolchain, its unit accepted by `systemd-analyze`, its
//! binary started the way the unit starts it.

use std::path::Path;
use std::process::Command;

use crate::support::{Running, as_root, free_port, given, readme_block, run, until_ok};

const UNIT: &str = "/lib/systemd/system/relais.service";

fn deb() -> std::path::PathBuf {
    given("TEST_DEB", "the package (PROFILE=dev scripts/release.sh)")
}

/// `relais serve` as the unit runs it (user, working directory, configuration), with
/// `root` as the file system root when given (a chroot), on a free port.
fn serve_as_the_unit(root: Option<&Path>, port: u16, log: &Path) -> Running {
    let inner = format!(
        "cd /var/lib/relais && RELAIS_LISTEN=127.0.0.1:{port} exec /usr/bin/relais --config /etc/relais/relais.toml serve"
    );
    let mut cmd = match root {
        Some(root) => {
            let mut c = as_root("chroot");
            c.arg(root);
            c.args(["runuser", "-u", "relais", "--", "sh", "-c", &inner]);
            c
        }
        None => {
            let mut c = as_root("runuser");
            c.args(["-u", "relais", "--", "sh", "-c", &inner]);
            c
        }
    };
    cmd.env_clear().env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    Running::start(cmd, log)
}

#[tokio::test]
async fn the_package_installs_here_with_its_user_directories_and_a_unit_systemd_accepts() {
    // On a machine run by systemd the package starts relais.service (port 8080, the same
    // /var/lib/relais as the server started below): a policy-rc.d keeps it stopped here,
    // as in image builds.
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let made_policy = !policy.exists();
    if made_policy {
        run(as_root("sh").args([
            "-c",
            "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d",
        ]));
    }
    let installed = as_root("dpkg").arg("-i").arg(deb()).output().expect("dpkg");
    if made_policy {
        run(as_root("rm").args(["-f", "/usr/sbin/policy-rc.d"]));
    }
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stderr)
    );
    let user = run(Command::new("getent").args(["passwd", "relais"]));
    assert!(user.contains(":/var/lib/relais:/usr/sbin/nologin"), "{user}");
    let stat = |path: &str| run(Command::new("stat").args(["-c", "%U:%G %a", path]));
    assert_eq!(stat("/var/lib/relais").trim(), "relais:relais 750");
    assert_eq!(stat("/etc/relais/relais.toml").trim(), "root:relais 640");
    let version = run(Command::new("/usr/bin/relais").arg("--version"));
    assert!(
        version.starts_with(&format!("relais {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );

    // The unit is the README's, and systemd finds nothing wrong with it.
    let installed = std::fs::read_to_string(UNIT).expect("unit installed");
    assert_eq!(readme_block("ini", "ExecStart=/usr/bin/relais"), installed);
    run(Command::new("systemd-analyze").args(["verify", UNIT]));

    // Started as the unit starts it: it serves and keeps its data in /var/lib/relais.
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let mut server = serve_as_the_unit(None, port, &dir.path().join("serve.log"));
    until_ok(&format!("http://127.0.0.1:{port}/readyz"), &mut server).await;
    assert!(Path::new("/var/lib/relais/relais.db").exists());
    drop(server);

    // `relais check` with the installed configuration, as the service's user.
    let check = as_root("runuser")
        .args([
            "-u",
            "relais",
            "--",
            "/usr/bin/relais",
            "--config",
            "/etc/relais/relais.toml",
            "check",
        ])
        .current_dir("/")
        .output()
        .expect("check");
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(said.contains("OK") && !said.contains("FAIL"), "{said}");

    // Purged (which also stops a service systemd started): the program and its
    // configuration go, the studio's data and the user stay.
    run(as_root("dpkg").args(["--purge", "relais"]));
    assert!(!Path::new("/usr/bin/relais").exists());
    assert!(!Path::new(UNIT).exists());
    assert!(!Path::new("/etc/relais/relais.toml").exists());
    assert!(Path::new("/var/lib/relais/relais.db").exists(), "the data stays");
    run(Command::new("getent").args(["passwd", "relais"]));
}

#[tokio::test]
async fn the_package_installs_and_serves_on_a_minimal_debian_without_any_toolchain() {
    let root = given("TEST_CHROOT", "a minimal Debian (debootstrap --variant=minbase)");
    for tool in ["cc", "gcc", "rustc", "cargo", "node", "npm", "ffmpeg"] {
        assert!(
            !root.join("usr/bin").join(tool).exists(),
            "the minimal Debian has {tool}: it proves nothing"
        );
    }
    std::fs::copy(deb(), root.join("tmp/relais.deb")).expect("copied in");
    run(as_root("chroot").arg(&root).args(["dpkg", "-i", "/tmp/relais.deb"]));
    let version = run(as_root("chroot").arg(&root).args(["/usr/bin/relais", "--version"]));
    assert!(version.starts_with("relais "), "{version}");

    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let mut server = serve_as_the_unit(Some(&root), port, &dir.path().join("serve.log"));
    until_ok(&format!("http://127.0.0.1:{port}/readyz"), &mut server).await;
    let page = reqwest::get(format!("http://127.0.0.1:{port}/login"))
        .await
        .expect("login page");
    assert_eq!(page.status(), 200, "pages and their assets are inside the binary");
    let html = page.text().await.expect("html");
    let asset = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script");
    let script = reqwest::get(format!("http://127.0.0.1:{port}{asset}"))
        .await
        .expect("asset");
    assert_eq!(script.status(), 200, "{asset}");
    assert!(
        root.join("var/lib/relais/relais.db").exists(),
        "data in /var/lib/relais"
    );
    assert!(
        server.log().contains("/setup/"),
        "the first-run link is printed:\n{}",
        server.log()
    );
}
