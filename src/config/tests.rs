use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn write_file(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    file
}

#[test]
fn defaults_without_any_layer() {
    let config = Config::load(None, &env(&[]), &FlagOverrides::default()).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(config.https_addr.port(), 8443);
    assert_eq!(config.http_addr.map(|a| a.port()), Some(8080));
}

#[test]
fn layers_override_in_order() {
    let file = write_file(
        "data_dir = \"/from/file\"\nhttps_addr = \"127.0.0.1:1000\"\nhttp_addr = \"127.0.0.1:1001\"\n",
    );
    let vars = env(&[
        ("SUPPORTBOX_HTTPS_ADDR", "127.0.0.1:2000"),
        ("SUPPORTBOX_HTTP_ADDR", "127.0.0.1:2001"),
    ]);
    let flags = FlagOverrides {
        http_addr: Some("127.0.0.1:3001".into()),
        ..Default::default()
    };
    let config = Config::load(Some(file.path()), &vars, &flags).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("/from/file"));
    assert_eq!(config.https_addr.port(), 2000);
    assert_eq!(config.http_addr.map(|a| a.port()), Some(3001));
}

#[test]
fn unknown_file_key_is_named() {
    let file = write_file("data_dri = \"x\"\n");
    let err = Config::load(Some(file.path()), &env(&[]), &FlagOverrides::default()).unwrap_err();
    assert!(matches!(&err, ConfigError::UnknownKey { key, .. } if key == "data_dri"));
    assert!(err.to_string().contains("unknown key `data_dri`"));
}

#[test]
fn unknown_nested_key_is_named() {
    let file = write_file("[tls]\ncert = \"x\"\n");
    let err = Config::load(Some(file.path()), &env(&[]), &FlagOverrides::default()).unwrap_err();
    assert!(err.to_string().contains("`cert`"), "{err}");
}

#[test]
fn unknown_env_key_is_named() {
    let err = Config::load(
        None,
        &env(&[("SUPPORTBOX_HTTPS_ADR", "x")]),
        &FlagOverrides::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment: unknown key `SUPPORTBOX_HTTPS_ADR`"
    );
}

#[test]
fn invalid_values_name_their_key() {
    let cases = [
        ("https_addr = \"nonsense\"", "https_addr"),
        ("[log]\nformat = \"xml\"", "log.format"),
        (
            "[tls]\nreload_interval_secs = 0",
            "tls.reload_interval_secs",
        ),
        ("public_names = [\"bad name\"]", "public_names"),
        ("data_dir = \"\"", "data_dir"),
    ];
    for (text, key) in cases {
        let file = write_file(text);
        let err =
            Config::load(Some(file.path()), &env(&[]), &FlagOverrides::default()).unwrap_err();
        assert!(
            err.to_string().contains(&format!("`{key}`")),
            "{text}: {err}"
        );
        assert_eq!(err.to_string().lines().count(), 1);
    }
}

#[test]
fn wrong_type_in_file_is_reported() {
    let file = write_file("https_addr = 8443");
    let err = Config::load(Some(file.path()), &env(&[]), &FlagOverrides::default()).unwrap_err();
    assert!(err.to_string().contains("https_addr"), "{err}");
}

#[test]
fn cert_without_key_is_refused() {
    let vars = env(&[("SUPPORTBOX_TLS_CERT_FILE", "/etc/cert.pem")]);
    let err = Config::load(None, &vars, &FlagOverrides::default()).unwrap_err();
    assert!(err.to_string().contains("`tls.key_file`"));
}

#[test]
fn http_listener_can_be_turned_off() {
    let vars = env(&[("SUPPORTBOX_HTTP_ADDR", "off")]);
    let config = Config::load(None, &vars, &FlagOverrides::default()).unwrap();
    assert_eq!(config.http_addr, None);
}

#[test]
fn public_names_from_env_are_split_and_lowercased() {
    let vars = env(&[("SUPPORTBOX_PUBLIC_NAMES", "Help.Example.org, 192.0.2.7")]);
    let config = Config::load(None, &vars, &FlagOverrides::default()).unwrap();
    assert_eq!(config.public_names, vec!["help.example.org", "192.0.2.7"]);
    assert_eq!(config.public_url(None), "https://help.example.org:8443");
}

#[test]
fn every_key_can_be_set_from_the_environment() {
    let vars: BTreeMap<String, String> = KEYS
        .iter()
        .map(|(key, kind)| {
            let value = match kind {
                EnvValue::Whole(_) => "1",
                _ => "x",
            };
            (env_var(key), value.to_owned())
        })
        .collect();
    let raw = raw_from_env(&vars).unwrap();
    assert_eq!(raw.data_dir.as_deref(), Some("x"));
    assert_eq!(raw.backup.and_then(|b| b.restore_upload_mib), Some(1));
    assert_eq!(env_var("tls.cert_file"), "SUPPORTBOX_TLS_CERT_FILE");
    let err = raw_from_env(&env(&[("SUPPORTBOX_BACKUP_KEEP", "many")])).unwrap_err();
    assert_eq!(
        err.to_string().lines().count(),
        1,
        "a bad number is one clear line: {err}"
    );
    assert!(err.to_string().contains("SUPPORTBOX_BACKUP_KEEP"), "{err}");
}

#[test]
fn example_config_in_packaging_is_valid_and_complete() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/supportbox.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // Every key is documented, commented out; uncommenting them all must still parse.
    let uncommented: String = text
        .lines()
        .map(|l| {
            l.strip_prefix("# ")
                .filter(|r| r.contains(" = ") || r.starts_with('['))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let raw = parse_toml(&uncommented, &path).unwrap();
    let mut config = Config::default();
    config.apply(raw, "example").unwrap();
    for (key, _) in KEYS {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        assert!(
            text.contains(&format!("{leaf} =")),
            "packaging/supportbox.toml lacks {key}"
        );
    }
}

#[test]
fn the_public_url_is_checked_and_otherwise_derived() {
    let config = Config::load(
        None,
        &env(&[("SUPPORTBOX_PUBLIC_URL", "HTTPS://Help.Example.org/")]),
        &FlagOverrides::default(),
    )
    .unwrap();
    assert_eq!(config.public_url(Some("box")), "https://help.example.org");
    assert!(
        config
            .known_hosts(Some("box"))
            .contains(&"help.example.org".to_owned())
    );
    for bad in [
        "http://help.example.org",
        "https://help.example.org/desk",
        "https://user@help.example.org",
        "https://help.example.org:0",
        "https://*.example.org",
        "https://",
    ] {
        let err = Config::load(
            None,
            &env(&[("SUPPORTBOX_PUBLIC_URL", bad)]),
            &FlagOverrides::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`public_url`"), "{bad}: {err}");
    }
    let mut derived = Config::default();
    assert_eq!(derived.public_url(Some("box")), "https://box:8443");
    assert_eq!(derived.public_url(None), "https://localhost:8443");
    derived.https_addr = "0.0.0.0:443".parse().unwrap();
    derived.public_names = vec!["2001:db8::1".into()];
    assert_eq!(derived.public_url(None), "https://[2001:db8::1]");
    assert!(
        derived
            .known_hosts(None)
            .contains(&"[2001:db8::1]".to_owned())
    );
}
