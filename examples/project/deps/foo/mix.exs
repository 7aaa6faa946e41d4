defmodule Foo.MixProject do
  use Mix.Project
end
