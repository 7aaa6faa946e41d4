defmodule Bar do
end
