//! `homeward accounts` through the real binary: linking an account to its
//! login at a single sign-on provider, on SQLite and on PostgreSQL when
//! `HOMEWARD_TEST_PG_URL` names a server.

#[path = "../../homeward-server/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("homeward-accounts-cli-{}-{}", std::process::id(), uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn homeward(url: &str, dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_homeward"));
    command.args(args).env_remove("HOMEWARD_DATABASE_URL").env_remove("HOMEWARD_DATA_DIR").env_remove("HOMEWARD_PASSWORD");
    if url.starts_with("sqlite:") {
        command.arg("--data-dir").arg(dir);
    } else {
        command.args(["--database-url", url]);
    }
    command.output().expect("run homeward")
}

fn ok(out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn refused(out: Output) -> String {
    assert!(!out.status.success(), "should have failed: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn an_account_is_linked_to_a_provider_subject_once_and_unlinked() {
    let dir = scratch();
    for url in support::databases(&dir.join("homeward.sqlite3")).await {
        let run = |args: &[&str]| homeward(&url, &dir, args);
        ok(run(&["migrate"]));
        ok(run(&[
            "accounts",
            "add-agency",
            "--id",
            "bolton-cs",
            "--name",
            "Bolton Children's Services",
            "--kind",
            "childrens_services",
            "--authority",
            "bolton",
        ]));
        ok(run(&["accounts", "add-user", "--username", "sw.one", "--name", "S. One", "--agency", "bolton-cs", "--role", "social_worker"]));
        ok(run(&["accounts", "add-user", "--username", "sw.two", "--name", "S. Two", "--agency", "bolton-cs", "--role", "social_worker"]));

        let linked = ok(run(&["accounts", "link-sso", "--username", "sw.one", "--provider", "bolton", "--subject", "abc-123"]));
        assert!(linked.contains("sw.one logs in through bolton as abc-123"), "{linked}");
        let list = ok(run(&["accounts", "list"]));
        assert!(list.contains("single sign-on bolton: abc-123"), "{list}");

        // One person at the provider is one account.
        let again = refused(run(&["accounts", "link-sso", "--username", "sw.two", "--provider", "bolton", "--subject", "abc-123"]));
        assert!(again.contains("already linked"), "{again}");
        let nobody = refused(run(&["accounts", "link-sso", "--username", "sw.three", "--provider", "bolton", "--subject", "x"]));
        assert!(nobody.contains("--username"), "{nobody}");

        ok(run(&["accounts", "unlink-sso", "--username", "sw.one", "--provider", "bolton"]));
        let gone = refused(run(&["accounts", "unlink-sso", "--username", "sw.one", "--provider", "bolton"]));
        assert!(gone.contains("has no link to bolton"), "{gone}");
        assert!(!ok(run(&["accounts", "list"])).contains("single sign-on"));
    }
}

/// A build without the feature says so instead of ignoring the settings.
#[cfg(not(feature = "oidc"))]
#[test]
fn serve_refuses_single_sign_on_settings_without_the_feature() {
    let dir = scratch();
    std::fs::write(dir.join("sso.toml"), "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_homeward"))
        .args(["serve", "--data-dir"])
        .arg(&dir)
        .arg("--sso-config")
        .arg(dir.join("sso.toml"))
        .args(["--listen", "127.0.0.1:0"])
        .env_remove("HOMEWARD_DATABASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--features oidc"), "{stderr}");
}
