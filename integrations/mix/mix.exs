defmodule PgpPkgVerify.MixProject do
  use Mix.Project

  # Shipped as a Mix archive (`mix archive.build`, `mix archive.install`): a
  # task inside the project would make mix compile the dependencies, running
  # their compile-time code, before the check. No dependencies at all: an
  # archive must build offline, without Hex.
  def project do
    [
      app: :pgp_pkg_verify,
      version: "0.1.0",
      elixir: "~> 1.12",
      deps: []
    ]
  end

  def application, do: []
end
