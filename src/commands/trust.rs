//! `trust set|import-gpg|explain`.

use anyhow::Result;

use super::{read_input, Verdict};
use crate::cli::TrustCommand;
use crate::keys::home::Home;
use crate::keys::keyring::{CertLookup, IssuerLookup, Keyring};
use crate::trust::owner_trust::{parse_gpg_ownertrust, OwnerTrust};
use crate::trust::TrustLevel;

pub(crate) fn run(home: &Home, cmd: TrustCommand) -> Result<Verdict> {
    match cmd {
        TrustCommand::Set {
            fingerprint,
            level,
            confirm_ultimate,
        } => set(home, &fingerprint, level, confirm_ultimate),
        TrustCommand::List { json } => list(home, json),
        TrustCommand::ImportGpg { file } => import_gpg(home, &file),
        TrustCommand::Explain { fingerprint, json } => explain(home, &fingerprint, json),
    }
}

fn set(home: &Home, query: &str, level: TrustLevel, confirmed: bool) -> Result<Verdict> {
    let lock = home.lock()?;
    let keyring = Keyring::load(home)?;
    let fpr = keyring.lookup(query)?.fingerprint();
    if level == TrustLevel::Ultimate && !keyring.own_keys().contains(&fpr) && !confirmed {
        anyhow::bail!(
            "{} is not one of your own keys: ultimate trust would make it a trust root that \
             authenticates other keys exactly like your own. If that is what you want, run \
             `pgp-pkg trust set {} ultimate --confirm-ultimate`; to trust its owner as an \
             introducer, use `full` or `marginal`",
            fpr.to_hex(),
            fpr.to_hex()
        );
    }
    let mut trust = OwnerTrust::load(home)?;
    trust.set(fpr.clone(), level);
    trust.save(home, &lock)?;
    outln!("owner trust of {} set to {level}", fpr.to_hex());
    Ok(Verdict::Pass)
}

fn import_gpg(home: &Home, file: &std::path::Path) -> Result<Verdict> {
    let text = String::from_utf8(read_input(file)?)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", file.display()))?;
    let entries =
        parse_gpg_ownertrust(&text).map_err(|e| anyhow::anyhow!("{}: {e:#}", file.display()))?;
    let lock = home.lock()?;
    let mut trust = OwnerTrust::load(home)?;
    let count = entries.len();
    for (fpr, level) in entries {
        // Keys not (yet) in the keyring keep their owner trust for when they arrive.
        trust.set(fpr, level);
    }
    trust.save(home, &lock)?;
    drop(lock);
    outln!("imported owner trust for {count} key(s)");
    // Ultimate owner trust makes a key a trust root: say so, above all for
    // keys that are not here yet (they become roots the moment they arrive).
    let keyring = Keyring::load(home)?;
    for (fpr, level) in trust.iter() {
        if level != TrustLevel::Ultimate || keyring.own_keys().contains(fpr) {
            continue;
        }
        match keyring.get(fpr) {
            Some(_) => outln!(
                "note: {} now has ultimate owner trust: it is a trust root, like your own keys",
                fpr.to_hex()
            ),
            None => outln!(
                "note: {} has ultimate owner trust but is not in the keyring yet: it becomes a trust root the moment it is imported",
                fpr.to_hex()
            ),
        }
    }
    Ok(Verdict::Pass)
}

/// Every owner-trust setting, plus the own keys (roots without a setting).
fn list(home: &Home, json: bool) -> Result<Verdict> {
    let keyring = Keyring::load(home)?;
    let trust = OwnerTrust::load(home)?;
    let mut fprs: std::collections::BTreeSet<_> = trust.iter().map(|(f, _)| f.clone()).collect();
    fprs.extend(keyring.own_keys().iter().cloned());
    let now = std::time::SystemTime::now();
    let entries: Vec<crate::json::OwnerTrustJson> = fprs
        .iter()
        .map(|fpr| {
            let own = keyring.own_keys().contains(fpr);
            let level = if own {
                TrustLevel::Ultimate
            } else {
                trust.get(fpr)
            };
            let cert = keyring.get(fpr);
            crate::json::OwnerTrustJson {
                fingerprint: fpr.to_hex(),
                owner_trust: level,
                trust_root: level == TrustLevel::Ultimate,
                own,
                in_keyring: cert.is_some(),
                user_id: cert.and_then(|c| {
                    crate::keys::crypto::display_user_id(c, &crate::keys::crypto::policy(now), now)
                }),
            }
        })
        .collect();
    if json {
        outln!("{}", crate::json::to_string(&entries));
        return Ok(Verdict::Pass);
    }
    if entries.is_empty() {
        outln!("no owner trust is set and there is no own key: nothing authenticates any key yet");
    }
    for e in &entries {
        let role = match (e.own, e.trust_root, e.owner_trust) {
            (true, _, _) => "trust root (your own key)".to_string(),
            (false, true, _) => "trust root".to_string(),
            (_, _, TrustLevel::Full | TrustLevel::Marginal) => {
                format!("{} introducer once fully valid", e.owner_trust)
            }
            (_, _, TrustLevel::Never) => "distrusted".to_string(),
            _ => e.owner_trust.to_string(),
        };
        let who = match (&e.user_id, e.in_keyring) {
            (Some(u), _) => u.clone(),
            (None, true) => "(no user ID)".to_string(),
            (None, false) => "(not in the keyring)".to_string(),
        };
        outln!(
            "{} {:>8}  {role}: {who}",
            e.fingerprint,
            e.owner_trust.as_str()
        );
    }
    Ok(Verdict::Pass)
}

fn explain(home: &Home, query: &str, json: bool) -> Result<Verdict> {
    let now = std::time::SystemTime::now();
    let certs = CertLookup::open(home)?;
    let cert = certs.lookup(query)?;
    let validity = crate::trust::snapshot::validity(home, now)?;
    let explanation = crate::trust::explain::explain(&certs, &validity.wot, &cert, now)?;
    if json {
        outln!(
            "{}",
            crate::json::to_string(&crate::json::ExplainJson::new(&explanation))
        );
    } else {
        out!("{}", explanation.to_human());
    }
    Ok(Verdict::Pass)
}
