defmodule Mix.Tasks.PgpPkg.Verify do
  @shortdoc "Verifies the dependencies in mix.lock against their authors' OpenPGP signatures"

  @moduledoc """
  Runs `pgp-pkg hook mix` over the project's `mix.lock` and fails the mix run
  when the project's pgp-pkg policy is not met. It compiles nothing and loads
  no dependency.

  The pgp-pkg binary is `PGP_PKG_BIN`, else `pgp_pkg: [bin: "..."]` in the
  project's `mix.exs`, else `pgp-pkg` on `PATH`. `PGP_PKG_HOME`,
  `PGP_PKG_SIGNATURES` and `PGP_PKG_MIN_TRUST` reach pgp-pkg unchanged.

  To verify after every fetch, alias the fetching tasks in `mix.exs`:

      aliases: [
        "deps.get": ["deps.get", "pgp_pkg.verify"],
        "deps.update": ["deps.update", "pgp_pkg.verify"]
      ]
  """

  use Mix.Task

  @impl Mix.Task
  def run(args) do
    bin = binary()
    lockfile = Mix.Project.config()[:lockfile] || "mix.lock"

    {output, status} =
      try do
        System.cmd(bin, ["hook", "mix", "--lockfile", lockfile | args], stderr_to_stdout: true)
      rescue
        e in ErlangError ->
          Mix.raise(
            "cannot run pgp-pkg (#{bin}): #{inspect(e.original)}; refusing to continue unverified"
          )
      end

    case status do
      0 ->
        Mix.shell().info(output)

      1 ->
        Mix.raise("""
        pgp-pkg refused the dependencies in #{lockfile}: they do not meet the policy.

        #{output}
        Nothing was compiled. `pgp-pkg verify-tree --help` explains each status.
        """)

      _ ->
        Mix.raise("""
        pgp-pkg could not verify the dependencies in #{lockfile} (exit #{status}):

        #{output}
        Nothing was compiled: fix what is named above (unreadable input, a damaged home \
        or an unreachable source) and run again.
        """)
    end
  end

  defp binary do
    from_config = get_in(Mix.Project.config(), [:pgp_pkg, :bin])

    cond do
      (env = System.get_env("PGP_PKG_BIN")) not in [nil, ""] ->
        env

      is_binary(from_config) ->
        from_config

      path = System.find_executable("pgp-pkg") ->
        path

      true ->
        Mix.raise("""
        pgp-pkg is not installed: set PGP_PKG_BIN, pgp_pkg: [bin: ...] in mix.exs, \
        or put pgp-pkg on PATH. Refusing to continue with unverified dependencies.
        """)
    end
  end
end
