//! etcd's three members: started (or restarted into the cluster they were part of), killed,
//! checked. Clients and peers alike speak TLS and must present a certificate of the topology's
//! CA (`--client-cert-auth`, `--peer-client-cert-auth`): whoever holds none can neither read
//! the leader key nor write it, nor join the cluster as a member.

use std::time::Duration;

use super::process::{Watched, which};
use super::tls::{Call, status};
use super::{HaCluster, SCOPE};

/// Who asks etcd (see [`HaCluster::etcd_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EtcdClient {
    /// Plain HTTP, as etcd was reached before it spoke TLS.
    Plain,
    /// TLS, checking etcd's certificate, but presenting none.
    WithoutCertificate,
    /// TLS with the topology's client certificate: what Patroni is.
    WithCertificate,
}

impl HaCluster {
    /// Starts (or restarts) etcd member `i`, into the cluster it was part of.
    pub fn start_etcd(&mut self, i: usize) -> anyhow::Result<()> {
        let etcd = which("etcd")?;
        let cluster = self.etcd.iter().map(|m| format!("{}=https://{}", m.name, m.peer)).collect::<Vec<_>>().join(",");
        let member = &self.etcd[i];
        let data = self.base.join(&member.name);
        let state = if data.join("member").exists() { "existing" } else { "new" };
        let (cert, key, ca) = (self.tls.file("server.crt"), self.tls.file("server.key"), self.tls.file("ca.crt"));
        let args = [
            ("--name", member.name.clone()),
            ("--data-dir", data.display().to_string()),
            ("--listen-client-urls", format!("https://{}", member.client)),
            ("--advertise-client-urls", format!("https://{}", member.client)),
            ("--listen-peer-urls", format!("https://{}", member.peer)),
            ("--initial-advertise-peer-urls", format!("https://{}", member.peer)),
            ("--initial-cluster", cluster),
            ("--initial-cluster-state", state.to_owned()),
            ("--initial-cluster-token", SCOPE.to_owned()),
            ("--heartbeat-interval", "100".to_owned()),
            ("--election-timeout", "1000".to_owned()),
            ("--cert-file", cert.clone()),
            ("--key-file", key.clone()),
            ("--trusted-ca-file", ca.clone()),
            ("--client-cert-auth", "true".to_owned()),
            ("--peer-cert-file", cert),
            ("--peer-key-file", key),
            ("--peer-trusted-ca-file", ca),
            ("--peer-client-cert-auth", "true".to_owned()),
        ];
        let args: Vec<String> = args.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        let log = self.base.join(format!("{}.log", member.name));
        self.etcd[i].process = Some(Watched::start(&etcd, &args, &log)?);
        Ok(())
    }

    /// `kill -9` of etcd member `i`.
    pub fn kill_etcd(&mut self, i: usize) {
        if let Some(member) = self.etcd[i].process.take() {
            member.kill();
            member.stop(Duration::from_secs(5));
        }
    }

    /// etcd's members that answer healthy (a quorum is there and they reach it).
    pub fn healthy_etcd_members(&self) -> usize {
        (0..self.etcd.len()).filter(|&i| self.etcd_health(i) == Some(200)).count()
    }

    pub(super) fn etcd_health(&self, i: usize) -> Option<u16> {
        status(self.etcd[i].client, Some(&self.tls.member), &Call::get("/health"))
    }

    /// The status of reading Patroni's leader key from member `i` through etcd's HTTP gateway
    /// (`POST /v3/kv/range`) as `client`, or `None` if the connection was refused.
    pub fn etcd_status(&self, i: usize, client: EtcdClient) -> Option<u16> {
        // The key, base64: /service/tutorchat/leader.
        let body = r#"{"key":"L3NlcnZpY2UvdHV0b3JjaGF0L2xlYWRlcg=="}"#;
        let call = Call { method: "POST", path: "/v3/kv/range", body, basic: None };
        let tls = match client {
            EtcdClient::Plain => None,
            EtcdClient::WithoutCertificate => Some(&self.tls.stranger),
            EtcdClient::WithCertificate => Some(&self.tls.member),
        };
        status(self.etcd[i].client, tls, &call)
    }

    /// The endpoints, and how etcdctl reaches them, for people.
    pub(super) fn describe_etcd(&self) -> String {
        let endpoints = self.etcd.iter().map(|m| format!("https://{}", m.client)).collect::<Vec<_>>().join(",");
        format!(
            "etcd           etcdctl --endpoints={endpoints} --cacert={} --cert={} --key={} endpoint status\n",
            self.tls.file("ca.crt"),
            self.tls.file("server.crt"),
            self.tls.file("server.key")
        )
    }
}
